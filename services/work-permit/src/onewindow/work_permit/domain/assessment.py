"""The rules of an assessment: what refuses a permit, what sends it to review, how long
it is valid. Every check reports every reason it finds, not just the first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from onewindow.contracts.v1.common import Classification, Reason, ResolvedDocument
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.dates import add_years
from onewindow.permits.permit import Review
from onewindow.work_permit.domain.classification import candidate_of, classify
from onewindow.work_permit.domain.policy import WorkPermitPolicy
from onewindow.work_permit.domain.reasons import EMPLOYMENT_CONTRACT, REASONS


def refusal_reasons(
    command: AssessWorkPermit,
    classification: Classification,
    policy: WorkPermitPolicy,
    today: date,
) -> list[Reason]:
    """Every reason to refuse: passport, employer licence (on the decision date), category.

    A category that is not eligible is no refusal while a cited talent recognition has
    merely expired: a current one would make the person Category A, so the applicant is
    asked for it instead (`review_triggers`).
    """
    found = REASONS.passport(
        command.passport_expires_on, command.application_date, policy.passport_min_validity_months
    )
    if command.employer.licence_valid_until < today:
        found.append(REASONS.employer_licence_expired(command.employer.licence_valid_until, today))
    if classification.category not in policy.eligible_categories and not expired_recognition(
        command
    ):
        found.append(REASONS.not_eligible_category(classification, policy.eligible_categories))
    return found


def in_force(document: ResolvedDocument, day: date) -> bool:
    """Valid on `day` (the last valid day counts); a document without an end always is."""
    return document.valid_until is None or day <= document.valid_until


def latest_expired(documents: Iterable[ResolvedDocument], day: date) -> ResolvedDocument | None:
    """Of the cited documents that expired before `day`, the one that expired last."""
    expired = [d for d in documents if not in_force(d, day)]
    return max(expired, key=lambda d: d.valid_until or day, default=None)


def expired_recognition(command: AssessWorkPermit) -> ResolvedDocument | None:
    """A cited talent recognition that has expired, when no recognition is in force."""
    day = command.application_date
    recognitions = [d for d in command.documents if d.kind == "talent_recognition"]
    if any(in_force(d, day) for d in recognitions):
        return None
    return latest_expired(recognitions, day)


def review_triggers(command: AssessWorkPermit, policy: WorkPermitPolicy) -> Review:
    """Missing or expired required documents (a commitment may stand in for some), an
    expired talent recognition the category depends on, the contract, flags, and uploads.

    Missing and expired documents are asked of the applicant (a supplement request),
    each kind named in `missing_documents`; a flag goes to an officer. So does an
    uploaded document the decision rests on (DOMAIN.md "Evidence"): it is never missing,
    but counts only once an officer has verified it (`document_unverified`).
    """
    found: list[Reason] = []
    missing: list[str] = []
    day = command.application_date
    for kind in policy.required_documents:
        cited = [d for d in command.documents if d.kind == kind]
        registered = [d for d in cited if not d.unverified_upload]
        committed = kind in policy.replaceable_by_commitment and _committed(command, kind)
        if committed or any(in_force(d, day) for d in registered):
            continue
        uploaded = [d for d in cited if d.unverified_upload]
        if uploaded:
            found += [
                REASONS.document_unverified(d, _what_to_check(command, kind)) for d in uploaded
            ]
            continue
        missing.append(kind)
        expired = latest_expired(registered, day)
        if expired is not None:
            found.append(REASONS.document_expired(expired, day))
        else:
            found.append(REASONS.document_missing(kind, f"No {kind} document was cited."))
    recognition = expired_recognition(command)
    if recognition is not None and _depends_on_recognition(command, policy):
        missing.append(recognition.kind)
        found.append(REASONS.document_expired(recognition, day))
    found += [
        REASONS.document_unverified(d, "a talent programme recognition held by the applicant")
        for d in uploaded_recognitions(command, policy)
    ]
    if command.position.contract_end < day:
        missing.append(EMPLOYMENT_CONTRACT)
        found.append(
            REASONS.document_missing(
                EMPLOYMENT_CONTRACT,
                f"The employment contract ended on {command.position.contract_end}, "
                f"before the application date {day}.",
            )
        )
    if "watchlist_match" in command.flags:
        found.append(REASONS.watchlist_match())
    return Review(tuple(found), tuple(missing))


def uploaded_recognitions(
    command: AssessWorkPermit, policy: WorkPermitPolicy
) -> list[ResolvedDocument]:
    """The uploaded talent recognitions the category rests on: the person is eligible with
    them and not without them (then an officer verifies them before the permit counts)."""
    uploaded = [
        d for d in command.documents if d.kind == "talent_recognition" and d.unverified_upload
    ]
    if not uploaded:
        return []
    without = replace(
        candidate_of(command),
        documents=[d for d in command.documents if not d.unverified_upload],
    )
    eligible = policy.eligible_categories
    if classify(without, policy).category in eligible:
        return []
    return uploaded if classify(candidate_of(command), policy).category in eligible else []


def _what_to_check(command: AssessWorkPermit, kind: str) -> str:
    # What the officer reads on the scan: for a degree, the level the points were given for.
    if kind == "degree":
        return f"a {command.qualifications.education} degree held by the applicant"
    return f"a {kind.replace('_', ' ')} certificate of the applicant, in force"


def _committed(command: AssessWorkPermit, kind: str) -> bool:
    # `Commitments` has one flag per document a signed commitment may stand in for.
    return bool(getattr(command.commitments, kind, False))


def _depends_on_recognition(command: AssessWorkPermit, policy: WorkPermitPolicy) -> bool:
    # An expired recognition matters only when the person is not eligible without it:
    # asking for a current one would otherwise stop the clock for nothing.
    return classify(candidate_of(command), policy).category not in policy.eligible_categories


def permit_validity(
    contract_start: date, contract_end: date, passport_expires_on: date, policy: WorkPermitPolicy
) -> date:
    """min(contract end, contract start + the maximum term, passport expiry)."""
    return min(contract_end, add_years(contract_start, policy.max_term_years), passport_expires_on)


def extension_window(valid_until: date, policy: WorkPermitPolicy) -> tuple[date, date]:
    """The first and the last day on which an extension may be requested (both inclusive)."""
    window = policy.extension_window
    return (
        valid_until - timedelta(days=window.opens_days_before_expiry),
        valid_until - timedelta(days=window.closes_days_before_expiry),
    )


def extended_validity(
    previous_valid_until: date,
    contract_end: date,
    passport_expires_on: date,
    policy: WorkPermitPolicy,
) -> date:
    """min(new contract end, passport expiry, previous validity + the maximum term).

    An extension is a new term that starts where the current one ends, and no single
    term may exceed the maximum, so the cap counts from the current validity.
    """
    return min(
        contract_end,
        passport_expires_on,
        add_years(previous_valid_until, policy.max_term_years),
    )
