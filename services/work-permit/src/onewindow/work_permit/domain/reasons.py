"""The reasons a work permit is refused or sent to review, with the facts behind each.

`detail` is an English sentence for logs and operators; `params` carries the facts under
the keys `onewindow.contracts.reasons.PARAMS` reads, so the bilingual catalogue can word
them in Chinese and English for the applicant; `legal_basis` names the article of the
policy it rests on (`policy.ARTICLES`).
"""

from __future__ import annotations

from datetime import date
from typing import Final

from onewindow.contracts.v1.common import Classification, Reason
from onewindow.permits.reasons import Reasons
from onewindow.work_permit.domain.policy import ExtensionWindow, legal_basis

SIDE: Final = "work"
REASONS = Reasons(SIDE, legal_basis)
# Worded the same on both permits (onewindow.permits.reasons).
passport_expired = REASONS.passport_expired
passport_validity_too_short = REASONS.passport_validity_too_short
document_expired = REASONS.document_expired
document_unverified = REASONS.document_unverified
watchlist_match = REASONS.watchlist_match
refused_by_officer = REASONS.refused_by_officer
# The contract is carried by the position, not cited as a registry document; the reason
# catalogue knows it under this name.
EMPLOYMENT_CONTRACT = "employment_contract"


def employer_licence_expired(valid_until: date, today: date) -> Reason:
    return REASONS.of(
        "employer_licence_expired",
        f"The employer's business licence expired on {valid_until} (decided {today}).",
        valid_until=str(valid_until),
        decision_date=str(today),
    )


def not_eligible_category(classification: Classification, eligible: frozenset[str]) -> Reason:
    accepted = " or ".join(sorted(eligible))
    return REASONS.of(
        "not_eligible_category",
        f"Category {classification.category} ({classification.points} points): the "
        f"one-window service is for Category {accepted}. Apply for the work permit and the "
        "residence permit separately.",
        category=classification.category,
        points=str(classification.points),
        eligible=accepted,
        hint="apply_separately",
    )


def document_missing(kind: str, why: str) -> Reason:
    return REASONS.of("document_missing", why, documents=kind)


def outside_extension_window(
    opens: date, closes: date, valid_until: date, requested_on: date, window: ExtensionWindow
) -> Reason:
    days = f"{window.opens_days_before_expiry} to {window.closes_days_before_expiry} days"
    return REASONS.of(
        "outside_extension_window",
        f"An extension can be requested from {opens} to {closes}, {days} before the "
        f"permit expires on {valid_until}; this request came on {requested_on}.",
        window_opens=str(opens),
        window_closes=str(closes),
        expires_on=str(valid_until),
        requested_on=str(requested_on),
    )


def permit_not_found(permit_number: str) -> Reason:
    return REASONS.of(
        "document_not_found",
        f"No issued work permit has the number {permit_number}.",
        kind="work_permit",
        registry_id=permit_number,
    )


def contract_not_extended(contract_end: date, valid_until: date) -> Reason:
    return REASONS.of(
        "document_missing",
        f"The employment contract ends on {contract_end}, not after the permit's current "
        f"validity ({valid_until}); an extension needs a contract that runs longer.",
        documents=EMPLOYMENT_CONTRACT,
        contract_end=str(contract_end),
        valid_until=str(valid_until),
    )
