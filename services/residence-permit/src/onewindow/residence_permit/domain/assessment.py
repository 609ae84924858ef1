"""The rules of a residence-permit assessment: what refuses it, what sends it to review,
how long it is valid. Every check reports every reason it finds."""

from __future__ import annotations

from datetime import date

from onewindow.contracts.v1.common import Reason, ResolvedDocument
from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.permits.dates import add_months, age_on
from onewindow.permits.permit import Review
from onewindow.residence_permit.domain.policy import ResidencePermitPolicy
from onewindow.residence_permit.domain.reasons import REASONS

# What a supplement request names when the temporary residence registration number is
# missing (beside document kinds in `missing_documents`).
REGISTRATION_NUMBER = "registration_number"


def needs_health_certificate(
    date_of_birth: date, application_date: date, policy: ResidencePermitPolicy
) -> bool:
    """Everyone needs one except the young and the old (ages on the application date)."""
    age = age_on(date_of_birth, application_date)
    exempt = policy.health_certificate_exempt
    return exempt.under_age <= age <= exempt.over_age


def in_force(document: ResolvedDocument, day: date) -> bool:
    """Valid on `day` (the last valid day counts); a document without an end always is."""
    return document.valid_until is None or day <= document.valid_until


def latest_health_certificate(
    documents: tuple[ResolvedDocument, ...], day: date
) -> ResolvedDocument | None:
    """The most recently issued registry health certificate cited that is in force on `day`,
    if any (an upload is not one until an officer verified it: `uploaded_health_certificates`)."""
    health = [
        d for d in documents if d.kind == "health" and in_force(d, day) and not d.unverified_upload
    ]
    return max(health, key=lambda d: d.issued_on, default=None)


def uploaded_health_certificates(documents: tuple[ResolvedDocument, ...]) -> list[ResolvedDocument]:
    """The health certificates cited as uploads, which no officer has verified yet."""
    return [d for d in documents if d.kind == "health" and d.unverified_upload]


def expired_health_certificate(
    documents: tuple[ResolvedDocument, ...], day: date
) -> ResolvedDocument | None:
    """Of the cited health certificates that expired before `day`, the one that expired last."""
    expired = [d for d in documents if d.kind == "health" and not in_force(d, day)]
    return max(expired, key=lambda d: d.valid_until or day, default=None)


def refusal_reasons(command: AssessResidencePermit, policy: ResidencePermitPolicy) -> list[Reason]:
    """Every reason to refuse: the passport, a health certificate issued too long ago.

    A missing registration number or an expired health certificate is no refusal: the
    applicant is asked for it (`review_triggers`).
    """
    day = command.application_date
    found = REASONS.passport(command.passport_expires_on, day, policy.passport_min_validity_months)
    certificate = latest_health_certificate(command.documents, day)
    if certificate is not None and needs_health_certificate(command.date_of_birth, day, policy):
        months = policy.health_certificate_max_age_months
        oldest_accepted = add_months(day, -months)
        if certificate.issued_on < oldest_accepted:
            found.append(
                REASONS.health_certificate_too_old(certificate.issued_on, oldest_accepted, months)
            )
    return found


def review_triggers(command: AssessResidencePermit, policy: ResidencePermitPolicy) -> Review:
    """What the applicant must supply (the registration number; a health certificate in
    force, unless exempt), each named in `missing_documents`; a watch-list flag; an
    uploaded health certificate standing in for a registry one, which an officer verifies
    before it counts (never missing: DOMAIN.md "Evidence")."""
    found: list[Reason] = []
    missing: list[str] = []
    day = command.application_date
    if not (command.registration_number or "").strip():
        missing.append(REGISTRATION_NUMBER)
        found.append(REASONS.registration_number_required())
    needed = latest_health_certificate(command.documents, day) is None and (
        needs_health_certificate(command.date_of_birth, day, policy)
    )
    uploaded = uploaded_health_certificates(command.documents) if needed else []
    if uploaded:
        months = policy.health_certificate_max_age_months
        check = (
            f"a health certificate of the applicant issued on or after "
            f"{add_months(day, -months)} (within {months} months before the application)"
        )
        found += [REASONS.document_unverified(d, check) for d in uploaded]
    elif needed:
        missing.append("health")
        expired = expired_health_certificate(command.documents, day)
        found.append(
            REASONS.health_certificate_missing()
            if expired is None
            else REASONS.document_expired(expired, day)
        )
    if "watchlist_match" in command.flags:
        found.append(REASONS.watchlist_match())
    return Review(tuple(found), tuple(missing))


def permit_validity(work_permit_valid_until: date, passport_expires_on: date) -> date:
    """min(work permit validity, passport expiry): the residence follows the work."""
    return min(work_permit_valid_until, passport_expires_on)
