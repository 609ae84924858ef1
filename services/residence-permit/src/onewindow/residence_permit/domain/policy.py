"""Residence-permit policy as versioned data: each version has an effective date and a
cited source, read once from `policy_data/*.json`; `PolicyBook.in_force_on(day)` picks
the version that governs a day."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from importlib import resources
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from onewindow.contracts.v1.common import LegalBasis, ReasonCode

# The legal basis of every reason the residence permit gives: one article per reason
# code. `LEGAL_BASIS_POLICY` is the version id of the published policy (policy_data/)
# whose sources the articles cite (the Exit and Entry Administration Law, Art. 30 and
# 39, and the Shanghai guidance); the article numbers are this project's own policy
# identifiers for those clauses (not an official numbering). Revise them here, in this
# one table, with the policy.
LEGAL_BASIS_POLICY: Final = "rp-2013.1-shanghai"
ARTICLES: Final[Mapping[ReasonCode, str]] = {
    "passport_expired": "§30.1",  # passport valid on the application date
    "passport_validity_too_short": "§30.2",  # and for at least the minimum months after it
    "document_missing": "§30.3",  # a health certificate (age exemptions aside)
    "document_expired": "§30.4",  # a cited certificate in force on the application date
    "document_unverified": "§30.9",  # an uploaded certificate counts once an officer verified it
    "health_certificate_too_old": "§30.5",  # issued within the months before applying
    "watchlist_match": "§30.6",  # flagged cases are decided by an officer
    "refused_by_officer": "§30.7",  # the officer's decision on a case in review
    "document_not_found": "§30.8",  # an extension follows an issued permit
    "registration_number_required": "§39.1",  # registration of temporary residence
}


def legal_basis(code: ReasonCode) -> LegalBasis:
    """The policy and article a residence-permit reason rests on.

    Raises `KeyError` for a code the residence permit never gives (a reason without a
    basis is a bug, caught by the tests).
    """
    return LegalBasis(policy=LEGAL_BASIS_POLICY, article=ARTICLES[code])


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HealthExemption(_Data):
    """No health certificate is asked of anyone younger than `under_age` or older than
    `over_age` (completed years on the application date)."""

    under_age: int
    over_age: int


class NumberFormat(_Data):
    prefix: str
    digits: int


class ResidencePermitPolicy(_Data):
    """One version of the rules. Read it; never compute policy numbers elsewhere."""

    version: str
    effective_from: date
    source: str
    passport_min_validity_months: int
    health_certificate_max_age_months: int
    health_certificate_exempt: HealthExemption
    reservation_days: int
    permit_number: NumberFormat


class NoPolicyInForce(LookupError):
    """No policy version was effective on the day asked for."""


class PolicyBook(BaseModel):
    """Every policy version, oldest first."""

    model_config = ConfigDict(frozen=True)

    versions: tuple[ResidencePermitPolicy, ...] = Field(min_length=1)

    @classmethod
    def of(cls, versions: Iterable[ResidencePermitPolicy]) -> PolicyBook:
        return cls(versions=tuple(sorted(versions, key=lambda p: p.effective_from)))

    def in_force_on(self, day: date) -> ResidencePermitPolicy:
        """The latest version whose effective date is on or before `day`."""
        for policy in reversed(self.versions):
            if policy.effective_from <= day:
                return policy
        raise NoPolicyInForce(f"no residence-permit policy in force on {day.isoformat()}")

    def with_changes(self, changes: Mapping[str, object]) -> PolicyBook:
        """The same book with `changes` applied to every version (tests, pilots)."""
        return PolicyBook.of(p.model_copy(update=dict(changes)) for p in self.versions)


@cache
def published_policies() -> PolicyBook:
    """The policy versions shipped in `policy_data/`, read once per process."""
    folder = resources.files(__package__).joinpath("policy_data")
    versions = [
        ResidencePermitPolicy.model_validate(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return PolicyBook.of(versions)
