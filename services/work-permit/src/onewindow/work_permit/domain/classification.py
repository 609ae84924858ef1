"""Classification of a foreign professional: Category A, B or C, and why.

A direct criterion (a talent recognition in the registry, or a salary of at least
6 × the local average annual wage) makes a person Category A whatever the points;
otherwise the points total decides. Either way every factor's points are recorded.

The registry is the source of truth for education: a cited degree's registry level
(`details.level`) scores, not the level typed in the form. A mismatch is written into
the education factor's value, which the officer's view shows beside its points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, get_args

from onewindow.contracts.v1.common import (
    Classification,
    Education,
    FactorPoints,
    Position,
    Qualifications,
    ResolvedDocument,
)
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.dates import age_on
from onewindow.work_permit.domain.policy import Category, PointsTable, Threshold, WorkPermitPolicy

DirectCriterion = Literal["talent_recognition", "salary"]
EDUCATION_LEVELS: Final[tuple[Education, ...]] = get_args(Education)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What classification looks at, taken from the assessment command."""

    date_of_birth: date
    position: Position
    qualifications: Qualifications
    documents: Sequence[ResolvedDocument]
    application_date: date


def candidate_of(command: AssessWorkPermit) -> Candidate:
    """What classification looks at in an assessment command."""
    return Candidate(
        date_of_birth=command.date_of_birth,
        position=command.position,
        qualifications=command.qualifications,
        documents=command.documents,
        application_date=command.application_date,
    )


def classify(candidate: Candidate, policy: WorkPermitPolicy) -> Classification:
    """The category, the points total, each factor's points and the direct criterion met."""
    factors = points_by_factor(candidate, policy.points)
    total = sum(f.points for f in factors)
    direct = direct_criterion(candidate, policy)
    category: Category = "A" if direct else category_for_points(total, policy)
    return Classification(
        category=category,
        points=total,
        factors=factors,
        direct_criterion=direct,
        policy_version=policy.version,
    )


def category_for_points(points: int, policy: WorkPermitPolicy) -> Category:
    """A at or above the A threshold, B at or above the B threshold, else C."""
    if points >= policy.categories.a_min_points:
        return "A"
    if points >= policy.categories.b_min_points:
        return "B"
    return "C"


def direct_criterion(candidate: Candidate, policy: WorkPermitPolicy) -> DirectCriterion | None:
    """The direct Category-A criterion met, if any; a talent recognition is named first."""
    if any(_recognition_in_force(d, candidate.application_date) for d in candidate.documents):
        return "talent_recognition"
    if candidate.position.annual_salary_cny >= policy.direct_salary_threshold_cny:
        return "salary"
    return None


def _recognition_in_force(document: ResolvedDocument, day: date) -> bool:
    # Identity only passes on documents it found in the registry for this person, so a
    # resolved recognition is a verified one; a lapsed recognition no longer counts.
    if document.kind != "talent_recognition":
        return False
    return document.valid_until is None or document.valid_until >= day


def points_by_factor(candidate: Candidate, table: PointsTable) -> tuple[FactorPoints, ...]:
    """Every factor of the points table with its points, each capped at its maximum."""
    position, quals = candidate.position, candidate.qualifications
    age = age_on(candidate.date_of_birth, candidate.application_date)
    factors = [
        FactorPoints(
            factor="annual_salary",
            value=str(position.annual_salary_cny),
            points=_banded(position.annual_salary_cny, table.annual_salary_cny),
        ),
        education_points(candidate, table),
        FactorPoints(
            factor="work_experience",
            value=str(quals.experience_years),
            points=experience_points(quals.experience_years, table),
        ),
        FactorPoints(
            factor="months_in_china",
            value=str(position.months_in_china_per_year),
            points=_banded(position.months_in_china_per_year, table.months_in_china),
        ),
        FactorPoints(
            factor="chinese",
            value=_chinese_value(quals),
            points=chinese_points(quals, table),
        ),
        FactorPoints(factor="age", value=str(age), points=age_points(age, table)),
    ]
    claimed = set(quals.bonuses)
    factors += [
        FactorPoints(
            factor=f"bonus_{bonus}",
            value="yes" if bonus in claimed else "no",
            points=table.bonus_points_each if bonus in claimed else 0,
        )
        for bonus in table.bonuses
    ]
    return tuple(factors)


def registry_education(candidate: Candidate, table: PointsTable) -> Education | None:
    """The best level among the cited degrees in force, as the registry records it.

    None when no degree with a known level is in force: then the typed level scores,
    unverified, while the missing degree is asked for (`assessment.review_triggers`).
    """
    day = candidate.application_date
    levels: list[Education] = [
        level
        for d in candidate.documents
        if d.kind == "degree"
        and (d.valid_until is None or day <= d.valid_until)
        and (level := _education(d.details.get("level"))) is not None
    ]
    return max(levels, key=lambda level: table.education.get(level, 0), default=None)


def _education(value: object) -> Education | None:
    return next((level for level in EDUCATION_LEVELS if level == value), None)


def education_points(candidate: Candidate, table: PointsTable) -> FactorPoints:
    """The education factor: the registry's level scores; the value notes where it came from.

    The value is the level alone when the registry confirms what was typed; otherwise it
    says what the registry holds beside what was typed (a mismatch for the officer), or
    that the typed level is not yet backed by a registry degree.
    """
    typed = candidate.qualifications.education
    registry = registry_education(candidate, table)
    scored = registry or typed
    if registry is None:
        value = typed if typed == "other" else f"{typed} (typed; no registry degree)"
    elif registry != typed:
        value = f"{registry} (registry; typed {typed})"
    else:
        value = registry
    return FactorPoints(factor="education", value=value, points=table.education.get(scored, 0))


def _banded(value: int, bands: Sequence[Threshold]) -> int:
    best = [band.points for band in bands if value >= band.at_least]
    return max(best, default=0)


def experience_points(years: int, table: PointsTable) -> int:
    """Nothing below the starting years; then the starting points plus one per full year."""
    scale = table.work_experience
    if years < scale.from_years:
        return 0
    earned = scale.points_at_start + (years - scale.from_years) * scale.per_further_year
    return min(earned, scale.max_points)


def chinese_points(quals: Qualifications, table: PointsTable) -> int:
    """The better of the HSK level and a Chinese-taught degree, capped."""
    scale = table.chinese
    hsk = scale.hsk.get(quals.hsk_level, 0)
    degree = scale.chinese_taught_degree if quals.chinese_taught_degree else 0
    return min(max(hsk, degree), scale.max_points)


def _chinese_value(quals: Qualifications) -> str:
    level = f"HSK {quals.hsk_level}" if quals.hsk_level else "no HSK"
    return f"{level}, Chinese-taught degree" if quals.chinese_taught_degree else level


def age_points(age: int, table: PointsTable) -> int:
    """The points of the age band that holds `age`; none outside every band."""
    return next((b.points for b in table.age if b.from_age <= age <= b.to_age), 0)
