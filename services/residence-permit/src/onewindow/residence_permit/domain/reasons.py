"""The reasons a residence permit is refused or sent to review, with the facts behind each.

`detail` is an English sentence for logs and operators; `params` carries the facts under
the keys `onewindow.contracts.reasons.PARAMS` reads, for the bilingual catalogue;
`legal_basis` names the article of the policy it rests on (`policy.ARTICLES`).
"""

from __future__ import annotations

from datetime import date
from typing import Final

from onewindow.contracts.v1.common import Reason
from onewindow.permits.reasons import Reasons
from onewindow.residence_permit.domain.policy import legal_basis

SIDE: Final = "residence"
REASONS = Reasons(SIDE, legal_basis, uploaded="{kind} certificate")
# Worded the same on both permits (onewindow.permits.reasons).
passport_expired = REASONS.passport_expired
passport_validity_too_short = REASONS.passport_validity_too_short
document_expired = REASONS.document_expired
document_unverified = REASONS.document_unverified
watchlist_match = REASONS.watchlist_match
refused_by_officer = REASONS.refused_by_officer


def registration_number_required() -> Reason:
    """No registration number: the applicant is asked for it (a supplement, not a refusal)."""
    return REASONS.of(
        "registration_number_required", "No temporary residence registration number was given."
    )


def health_certificate_too_old(issued_on: date, oldest_accepted: date, months: int) -> Reason:
    return REASONS.of(
        "health_certificate_too_old",
        f"The health certificate was issued on {issued_on}; it must be issued on or after "
        f"{oldest_accepted}, within {months} months before the application.",
        issued_on=str(issued_on),
        maximum_months=str(months),
        issued_on_or_after=str(oldest_accepted),
    )


def health_certificate_missing() -> Reason:
    return REASONS.of("document_missing", "No health certificate was cited.", documents="health")


def permit_not_issued(application_id: str, state: str) -> Reason:
    return REASONS.of(
        "document_not_found",
        f"Application {application_id} holds no issued residence permit ({state}).",
        kind="residence_permit",
    )
