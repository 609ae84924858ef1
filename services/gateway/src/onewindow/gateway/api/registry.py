"""Bodies of the clerks' registry routes (API.md "Registry (clerks)")."""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field, StringConstraints, model_validator

from onewindow.contracts.v1.common import DocumentKind, Education
from onewindow.gateway.api.fields import (
    NOTE_MAX,
    Country,
    Day,
    PassportNumber,
    RequestBody,
    Text,
    Title,
)

DEGREE_LEVELS = frozenset(level for level in get_args(Education) if level != "other")
DETAILS_MAX = 20

DetailKey = Annotated[str, StringConstraints(min_length=1, max_length=50)]
DetailValue = Annotated[str, StringConstraints(max_length=500)] | int | float | bool | None


class EmployerRecord(RequestBody):
    """`PUT /v1/registry/employers/{uscc}`."""

    name: Title
    licence_valid_until: Day


class Holder(RequestBody):
    nationality: Country
    passport_number: PassportNumber


class CertificateRecord(RequestBody):
    """`PUT /v1/registry/certificates/{id}`: a digitised certificate and its holder."""

    kind: DocumentKind
    holder: Holder
    issued_on: Day
    valid_until: Day | None = None
    issuer: Title | None = None
    details: Annotated[
        dict[DetailKey, DetailValue], Field(max_length=DETAILS_MAX, default_factory=dict)
    ]

    @model_validator(mode="after")
    def _consistent(self) -> CertificateRecord:
        if self.valid_until is not None and self.valid_until <= self.issued_on:
            raise ValueError("valid_until must be after issued_on")
        if self.kind == "degree" and self.details.get("level") not in DEGREE_LEVELS:
            levels = "|".join(sorted(DEGREE_LEVELS))
            raise ValueError(f"a degree needs details.level, one of {levels}")
        return self


class WatchlistEntry(RequestBody):
    """`PUT /v1/registry/watchlist/{nationality}/{passport_number}`."""

    note: Annotated[Text, StringConstraints(max_length=NOTE_MAX)]
