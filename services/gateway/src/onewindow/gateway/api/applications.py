"""Request and response bodies of the applications, officers' and extension routes (API.md).

These are the API's own shapes, separate from the bus's messages; `api.mapping`
turns them into `contracts.v1` values in one place.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator

from onewindow.contracts.v1.common import Bonus, Channel, DocumentKind, Education, Language
from onewindow.gateway.api.fields import (
    DOCUMENTS_MAX,
    EXPERIENCE_MAX_YEARS,
    HSK_MAX,
    MONTHS_MAX,
    SALARY_MAX_CNY,
    Account,
    Address,
    Country,
    Day,
    Email,
    MrzLine,
    Name,
    Note,
    PassportNumber,
    Phone,
    Reference,
    RequestBody,
    Title,
    Uscc,
)


class PassportIn(RequestBody):
    number: PassportNumber
    expires_on: Day
    mrz: Annotated[list[MrzLine], Field(min_length=2, max_length=2)] | None = Field(
        default=None, description="The two 44-character lines of the TD3 machine readable zone."
    )


class ApplicantIn(RequestBody):
    account: Account | None = Field(
        default=None,
        description="The employee's applicant account, named by an employer submitting for "
        "its employee: that account sees and acts on the case as if it had submitted it. "
        "An applicant may name only its own account.",
    )
    surname: Name
    given_names: Annotated[str, Field(max_length=100)] = ""
    sex: Literal["F", "M", "X"]
    date_of_birth: Day
    nationality: Country
    passport: PassportIn
    email: Email
    phone: Phone | None = None


class EmployerIn(RequestBody):
    uscc: Uscc
    contact_email: Email | None = None


class PositionIn(RequestBody):
    title: Title
    annual_salary_cny: Annotated[StrictInt, Field(ge=0, le=SALARY_MAX_CNY)]
    contract_start: Day
    contract_end: Day
    months_in_china_per_year: Annotated[StrictInt, Field(ge=0, le=MONTHS_MAX)]


class QualificationsIn(RequestBody):
    education: Education
    experience_years: Annotated[StrictInt, Field(ge=0, le=EXPERIENCE_MAX_YEARS)]
    hsk_level: Annotated[StrictInt, Field(ge=0, le=HSK_MAX)] = 0
    chinese_taught_degree: StrictBool = False
    bonuses: Annotated[list[Bonus], Field(max_length=4, default_factory=list)]

    @model_validator(mode="after")
    def _bonuses_once(self) -> QualificationsIn:
        if len(set(self.bonuses)) != len(self.bonuses):
            raise ValueError("bonuses: each bonus may be named once")
        return self


class ResidenceIn(RequestBody):
    address: Address
    registration_number: Reference | None = None


class DocumentIn(RequestBody):
    """A cited document: a registry reference (preferred) or an uploaded file."""

    kind: DocumentKind
    registry_id: Reference | None = None
    upload_id: Reference | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DocumentIn:
        if (self.registry_id is None) == (self.upload_id is None):
            raise ValueError("a document needs exactly one of registry_id and upload_id")
        return self


class CommitmentsIn(RequestBody):
    criminal_record: StrictBool = False


Documents = Annotated[list[DocumentIn], Field(max_length=DOCUMENTS_MAX)]


class ApplicationRequest(RequestBody):
    """`POST /v1/applications`: the combined application."""

    applicant: ApplicantIn
    employer: EmployerIn
    position: PositionIn
    qualifications: QualificationsIn
    residence: ResidenceIn
    documents: Annotated[Documents, Field(default_factory=list)]
    commitments: CommitmentsIn = CommitmentsIn()
    channel: Channel = "online"
    language: Language = "en"


class DocumentsSupplied(RequestBody):
    """`POST /v1/applications/{id}/documents`: the answer to a supplement request."""

    documents: Annotated[list[DocumentIn], Field(default_factory=list, max_length=DOCUMENTS_MAX)]
    # The temporary residence registration number, when a supplement request asked for it.
    registration_number: Reference | None = None

    @model_validator(mode="after")
    def _something_supplied(self) -> DocumentsSupplied:
        if not self.documents and self.registration_number is None:
            raise ValueError("supply at least one document or the registration_number")
        return self


class ReviewRequest(RequestBody):
    """`POST /v1/applications/{id}/reviews`: an officer's decision on one side."""

    permit: Literal["work", "residence"]
    decision: Literal["approve", "refuse", "request_documents"]
    reason: Note = ""
    documents: Annotated[list[DocumentKind], Field(max_length=4, default_factory=list)]

    @model_validator(mode="after")
    def _complete(self) -> ReviewRequest:
        if self.decision == "refuse" and not self.reason:
            raise ValueError("a refusal needs a reason (it is shown to the applicant)")
        if self.decision == "request_documents" and not self.documents:
            raise ValueError("a request for documents needs the documents' kinds")
        if len(set(self.documents)) != len(self.documents):
            raise ValueError("documents: each kind may be named once")
        return self


class ExtensionRequest(RequestBody):
    """`POST /v1/work-permits/{number}/extensions`: the new contract end."""

    contract_end: Day


class Accepted(BaseModel):
    """A write accepted for processing: what was created and its first status."""

    id: str
    status: str = Field(examples=["submitted"])
