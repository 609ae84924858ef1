"""Residence-permit policy as versioned data: each version has an effective date and a
cited source, read once from `policy_data/*.json`; `PolicyBook.in_force_on(day)` picks
the version that governs a day."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import ClassVar, Final

from onewindow.contracts.v1.common import ReasonCode
from onewindow.permits.policy import (
    PolicyData,
    PrintedNumber,
    VersionedPolicy,
    Versions,
)
from onewindow.permits.reasons import Articles

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

# The policy and article a residence-permit reason rests on (`KeyError` for a code it never gives).
legal_basis: Final = Articles(LEGAL_BASIS_POLICY, ARTICLES)


class HealthExemption(PolicyData):
    """No health certificate is asked of anyone younger than `under_age` or older than
    `over_age` (completed years on the application date)."""

    under_age: int
    over_age: int


class ResidencePermitPolicy(VersionedPolicy):
    """One version of the rules. Read it; never compute policy numbers elsewhere."""

    passport_min_validity_months: int
    health_certificate_max_age_months: int
    health_certificate_exempt: HealthExemption
    reservation_days: int
    permit_number: PrintedNumber


class PolicyBook(Versions[ResidencePermitPolicy]):
    """Every residence-permit policy version, oldest first."""

    subject: ClassVar[str] = "residence-permit"


@cache
def published_policies() -> PolicyBook:
    """The policy versions shipped in `policy_data/`, read once per process."""
    return PolicyBook.published(__package__, ResidencePermitPolicy)
