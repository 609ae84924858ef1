"""Value types shared by several contexts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DocumentKind = Literal["degree", "criminal_record", "health", "talent_recognition"]
Education = Literal["doctorate", "master", "bachelor", "other"]
Bonus = Literal["top_university", "fortune_500", "patent", "continuous_work_in_china"]
Channel = Literal["online", "window", "kiosk"]
Language = Literal["en", "zh"]
PermitSide = Literal["work", "residence"]

ReasonCode = Literal[
    "passport_expired",
    "passport_validity_too_short",
    "employer_not_registered",
    "employer_licence_expired",
    "not_eligible_category",
    "document_missing",
    "document_not_found",
    "health_certificate_too_old",
    "residence_registration_missing",
    "watchlist_match",
    "duplicate_application",
    "refused_by_officer",
    "outside_extension_window",
    "counterpart_refused",
    "withdrawn_by_applicant",
    # v1.1
    "document_expired",
    "no_response",
    "permit_revoked",
    "document_unverified",
    "registration_number_required",
    "unverified_applicant",
]
# The codes that ask the applicant for something rather than refuse (a supplement request).
SUPPLEMENT_CODES: frozenset[str] = frozenset(
    {"document_missing", "document_expired", "registration_number_required"}
)


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class LegalBasis(Value):
    """The policy and article a reason or a decision rests on (`fwp-2017.1-shanghai`, `§4.2`)."""

    policy: str
    article: str


class Reason(Value):
    """A reason code with the facts that explain it (rendered in zh/en by `reasons`)."""

    code: ReasonCode
    side: PermitSide | Literal["identity", "case"] = "case"
    detail: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    legal_basis: LegalBasis | None = None


# The registry id under which identity passes an uploaded document on (`upload:<id>`).
UPLOAD_REFERENCE_PREFIX = "upload:"


class DocumentRef(Value):
    """A document cited by the application: a registry reference (preferred) or an upload.

    v1.1: an upload's citation also carries what the gateway recorded when it received
    the file and checked at the door (the citing account uploaded it, of this kind), so
    identity resolves it without reading the gateway's store.
    """

    kind: DocumentKind
    registry_id: str | None = None
    upload_id: str | None = None
    sha256: str | None = None
    media_type: str | None = None
    uploaded_at: datetime | None = None


class ResolvedDocument(Value):
    """A registry document resolved by identity, so permit services need no second lookup.

    v1.1: an uploaded document is passed on too, as `upload:<upload id>` with
    `details` `{"upload_id", "sha256", "media_type", "verified": false}`: it is present
    (never missing), but counts only once an officer has verified it.
    """

    kind: DocumentKind
    registry_id: str
    issuer: str
    issued_on: date
    valid_until: date | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def unverified_upload(self) -> bool:
        """An uploaded document no officer has verified yet."""
        return (
            self.registry_id.startswith(UPLOAD_REFERENCE_PREFIX)
            and self.details.get("verified") is not True
        )


class Employer(Value):
    uscc: str
    name: str
    licence_valid_until: date


class Passport(Value):
    number: str
    expires_on: date
    mrz: tuple[str, str] | None = None


class Applicant(Value):
    surname: str
    given_names: str
    sex: Literal["F", "M", "X"]
    date_of_birth: date
    nationality: str
    passport: Passport
    email: str
    phone: str | None = None


class EmployerRef(Value):
    uscc: str
    contact_email: str | None = None


class Position(Value):
    title: str
    annual_salary_cny: int
    contract_start: date
    contract_end: date
    months_in_china_per_year: int


class Qualifications(Value):
    education: Education
    experience_years: int
    hsk_level: int = 0
    chinese_taught_degree: bool = False
    bonuses: tuple[Bonus, ...] = ()


class Residence(Value):
    address: str
    registration_number: str | None = None


class Commitments(Value):
    """Signed commitments accepted in place of a document, verified later."""

    criminal_record: bool = False


class ApplicationForm(Value):
    """The combined application as submitted (API.md `POST /v1/applications`)."""

    applicant: Applicant
    employer: EmployerRef
    position: Position
    qualifications: Qualifications
    residence: Residence
    documents: tuple[DocumentRef, ...] = ()
    commitments: Commitments = Field(default_factory=Commitments)
    channel: Channel = "online"
    language: Language = "en"


class PermitGrant(Value):
    """A permit as granted: its number and validity."""

    number: str
    valid_until: date


class FactorPoints(Value):
    factor: str
    value: str
    points: int


class Classification(Value):
    """Category and points, with every factor's points, so the applicant can see why."""

    category: Literal["A", "B", "C"]
    points: int
    factors: tuple[FactorPoints, ...] = ()
    direct_criterion: Literal["talent_recognition", "salary"] | None = None
    policy_version: str = ""
