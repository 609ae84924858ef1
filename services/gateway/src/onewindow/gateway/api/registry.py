"""Bodies of the clerks' registry routes (API.md "Registry (clerks)").

The records are the registry contract's (`onewindow.contracts.v1.registry`, which
identity reads too); here the door adds what needs reference data or compares fields:
the holder's country and passport number are checked and normalised as everywhere at
the door, and a certificate's dates and degree level must agree.
"""

from __future__ import annotations

from pydantic import model_validator

from onewindow.contracts.v1 import registry
from onewindow.contracts.v1.registry import DEGREE_LEVELS, EmployerRecord, WatchlistEntry
from onewindow.gateway.api.fields import Country, PassportNumber

__all__ = ["CertificateRecord", "EmployerRecord", "Holder", "WatchlistEntry"]


class Holder(registry.Holder):
    nationality: Country
    passport_number: PassportNumber


class CertificateRecord(registry.CertificateRecord):
    """`PUT /v1/registry/certificates/{id}`: a digitised certificate and its holder."""

    holder: Holder

    @model_validator(mode="after")
    def _consistent(self) -> CertificateRecord:
        if self.valid_until is not None and self.valid_until <= self.issued_on:
            raise ValueError("valid_until must be after issued_on")
        if self.kind == "degree" and self.details.get("level") not in DEGREE_LEVELS:
            levels = "|".join(sorted(DEGREE_LEVELS))
            raise ValueError(f"a degree needs details.level, one of {levels}")
        return self
