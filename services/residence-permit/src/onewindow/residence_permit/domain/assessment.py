"""The rules of a residence-permit assessment: what refuses it, what sends it to review,
how long it is valid. Every check reports every reason it finds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from onewindow.contracts.v1.common import Reason, ResolvedDocument
from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.residence_permit.domain import reasons
from onewindow.residence_permit.domain.dates import add_months, age_on
from onewindow.residence_permit.domain.policy import ResidencePermitPolicy


def passport_reasons(expires_on: date, application_date: date, months: int) -> list[Reason]:
    """Expired on the application date, or valid for less than `months` after it."""
    if expires_on < application_date:
        return [reasons.passport_expired(expires_on, application_date)]
    needed_until = add_months(application_date, months)
    if expires_on < needed_until:
        return [reasons.passport_validity_too_short(expires_on, needed_until, months)]
    return []


def needs_health_certificate(
    date_of_birth: date, application_date: date, policy: ResidencePermitPolicy
) -> bool:
    """Everyone needs one except the young and the old (ages on the application date)."""
    age = age_on(date_of_birth, application_date)
    exempt = policy.health_certificate_exempt
    return exempt.under_age <= age <= exempt.over_age


def latest_health_certificate(documents: tuple[ResolvedDocument, ...]) -> ResolvedDocument | None:
    """The most recently issued health certificate cited, if any."""
    health = [d for d in documents if d.kind == "health"]
    return max(health, key=lambda d: d.issued_on, default=None)


def refusal_reasons(command: AssessResidencePermit, policy: ResidencePermitPolicy) -> list[Reason]:
    """Every reason to refuse: passport, residence registration, an old health certificate."""
    day = command.application_date
    found = passport_reasons(command.passport_expires_on, day, policy.passport_min_validity_months)
    if not (command.registration_number or "").strip():
        found.append(reasons.residence_registration_missing())
    certificate = latest_health_certificate(command.documents)
    if certificate is not None and needs_health_certificate(command.date_of_birth, day, policy):
        months = policy.health_certificate_max_age_months
        oldest_accepted = add_months(day, -months)
        if certificate.issued_on < oldest_accepted:
            found.append(
                reasons.health_certificate_too_old(certificate.issued_on, oldest_accepted, months)
            )
    return found


@dataclass(frozen=True, slots=True)
class Review:
    """Why an officer or the applicant must act before a decision."""

    reasons: tuple[Reason, ...]
    missing_documents: tuple[str, ...]


def review_triggers(command: AssessResidencePermit, policy: ResidencePermitPolicy) -> Review:
    """A missing health certificate (unless exempt), a watch-list flag."""
    found: list[Reason] = []
    missing: list[str] = []
    if latest_health_certificate(command.documents) is None and needs_health_certificate(
        command.date_of_birth, command.application_date, policy
    ):
        missing.append("health")
        found.append(reasons.health_certificate_missing())
    if "watchlist_match" in command.flags:
        found.append(reasons.watchlist_match())
    return Review(tuple(found), tuple(missing))


def permit_validity(work_permit_valid_until: date, passport_expires_on: date) -> date:
    """min(work permit validity, passport expiry): the residence follows the work."""
    return min(work_permit_valid_until, passport_expires_on)
