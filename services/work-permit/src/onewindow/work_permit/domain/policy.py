"""Work-permit policy as versioned data: each version has an effective date and a cited source.

The numbers a government can change (points, thresholds, the local wage, periods, the
Category-B pilot) live in `policy_data/*.json`, one file per version. They are read once;
`PolicyBook.in_force_on(day)` picks the version that governs a given day.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import ClassVar, Final, Literal

from onewindow.contracts.v1.common import Bonus, DocumentKind, Education, ReasonCode
from onewindow.permits.policy import (
    PolicyData,
    PrintedNumber,
    VersionedPolicy,
    Versions,
)
from onewindow.permits.reasons import Articles

Category = Literal["A", "B", "C"]

# The legal basis of every reason the work permit gives: one article per reason code.
# `LEGAL_BASIS_POLICY` is the version id of the published policy (policy_data/) whose
# sources the articles cite; the article numbers are this project's own policy
# identifiers for the clauses of those sources (not an official numbering). Revise them
# here, in this one table, with the policy.
LEGAL_BASIS_POLICY: Final = "fwp-2017.1-shanghai"
ARTICLES: Final[Mapping[ReasonCode, str]] = {
    "passport_expired": "§2.1",  # passport valid on the application date
    "passport_validity_too_short": "§2.2",  # and for at least the minimum months after it
    "employer_licence_expired": "§2.4",  # employer's business licence valid on the decision
    "not_eligible_category": "§3.1",  # the one-window service is for the eligible categories
    "document_missing": "§4.1",  # the required documents (degree, record, contract)
    "document_expired": "§4.2",  # a cited certificate in force on the application date
    "document_unverified": "§4.3",  # an uploaded certificate counts once an officer verified it
    "watchlist_match": "§5.2",  # flagged cases are decided by an officer
    "refused_by_officer": "§5.3",  # the officer's decision on a case in review
    "outside_extension_window": "§6.1",  # extension 30 to 90 days before expiry
    "document_not_found": "§6.3",  # an extension names an issued permit
}

# The policy and article a work-permit reason rests on (`KeyError` for a code it never gives).
legal_basis: Final = Articles(LEGAL_BASIS_POLICY, ARTICLES)


class Threshold(PolicyData):
    """A band open at the top: values of at least `at_least` earn `points`."""

    at_least: int
    points: int


class AgeBand(PolicyData):
    from_age: int
    to_age: int
    points: int


class ExperienceScale(PolicyData):
    """`points_at_start` at `from_years`, then `per_further_year` per full year, capped."""

    from_years: int
    points_at_start: int
    per_further_year: int
    max_points: int


class ChineseScale(PolicyData):
    hsk: dict[int, int]
    chinese_taught_degree: int
    max_points: int


class PointsTable(PolicyData):
    annual_salary_cny: tuple[Threshold, ...]
    education: dict[Education, int]
    work_experience: ExperienceScale
    months_in_china: tuple[Threshold, ...]
    chinese: ChineseScale
    age: tuple[AgeBand, ...]
    bonus_points_each: int
    bonuses: tuple[Bonus, ...]


class CategoryThresholds(PolicyData):
    a_min_points: int
    b_min_points: int


class ExtensionWindow(PolicyData):
    opens_days_before_expiry: int
    closes_days_before_expiry: int


class WorkPermitPolicy(VersionedPolicy):
    """One version of the rules. Read it; never compute policy numbers elsewhere."""

    categories: CategoryThresholds
    category_b_pilot: bool = False
    local_average_annual_wage_cny: int
    direct_salary_multiple: int
    points: PointsTable
    passport_min_validity_months: int
    required_documents: tuple[DocumentKind, ...]
    replaceable_by_commitment: tuple[DocumentKind, ...] = ()
    reservation_days: int
    max_term_years: int
    extension_window: ExtensionWindow
    permit_number: PrintedNumber

    @property
    def direct_salary_threshold_cny(self) -> int:
        """The salary that makes a person Category A directly (6 × the local average)."""
        return self.direct_salary_multiple * self.local_average_annual_wage_cny

    @property
    def eligible_categories(self) -> frozenset[Category]:
        """Categories the one-window service accepts: A, and B where the pilot is on."""
        return frozenset({"A", "B"}) if self.category_b_pilot else frozenset({"A"})


class PolicyBook(Versions[WorkPermitPolicy]):
    """Every work-permit policy version, oldest first."""

    subject: ClassVar[str] = "work-permit"


@cache
def published_policies() -> PolicyBook:
    """The policy versions shipped in `policy_data/`, read once per process."""
    return PolicyBook.published(__package__, WorkPermitPolicy)
