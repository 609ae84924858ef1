"""The reasons a work permit is refused or sent to review, with the facts behind each.

`detail` is an English sentence for logs and operators; `params` carries the facts under
the keys `onewindow.contracts.reasons.PARAMS` reads, so the bilingual catalogue can word
them in Chinese and English for the applicant; `legal_basis` names the article of the
policy it rests on (`policy.ARTICLES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from onewindow.contracts.v1.common import Classification, Reason, ResolvedDocument
from onewindow.work_permit.domain.policy import ExtensionWindow, legal_basis

SIDE: Final = "work"
# The contract is carried by the position, not cited as a registry document; the reason
# catalogue knows it under this name.
EMPLOYMENT_CONTRACT = "employment_contract"


def passport_expired(expires_on: date, application_date: date) -> Reason:
    return Reason(
        code="passport_expired",
        legal_basis=legal_basis("passport_expired"),
        side=SIDE,
        detail=f"The passport expired on {expires_on} and was not valid on {application_date}.",
        params={"expires_on": str(expires_on), "application_date": str(application_date)},
    )


def passport_validity_too_short(expires_on: date, needed_until: date, months: int) -> Reason:
    return Reason(
        code="passport_validity_too_short",
        legal_basis=legal_basis("passport_validity_too_short"),
        side=SIDE,
        detail=(
            f"The passport expires on {expires_on}; it must be valid for at least {months} "
            f"months, until {needed_until}."
        ),
        params={
            "expires_on": str(expires_on),
            "minimum_months": str(months),
            "valid_until_at_least": str(needed_until),
        },
    )


def employer_licence_expired(valid_until: date, today: date) -> Reason:
    return Reason(
        code="employer_licence_expired",
        legal_basis=legal_basis("employer_licence_expired"),
        side=SIDE,
        detail=f"The employer's business licence expired on {valid_until} (decided {today}).",
        params={"valid_until": str(valid_until), "decision_date": str(today)},
    )


def not_eligible_category(classification: Classification, eligible: frozenset[str]) -> Reason:
    accepted = " or ".join(sorted(eligible))
    return Reason(
        code="not_eligible_category",
        legal_basis=legal_basis("not_eligible_category"),
        side=SIDE,
        detail=(
            f"Category {classification.category} ({classification.points} points): the "
            f"one-window service is for Category {accepted}. Apply for the work permit and the "
            "residence permit separately."
        ),
        params={
            "category": classification.category,
            "points": str(classification.points),
            "eligible": accepted,
            "hint": "apply_separately",
        },
    )


def document_missing(kind: str, why: str) -> Reason:
    return Reason(
        code="document_missing",
        legal_basis=legal_basis("document_missing"),
        side=SIDE,
        detail=why,
        params={"documents": kind},
    )


def document_expired(document: ResolvedDocument, application_date: date) -> Reason:
    """A cited certificate no longer in force: the applicant is asked for a current one."""
    return Reason(
        code="document_expired",
        legal_basis=legal_basis("document_expired"),
        side=SIDE,
        detail=(
            f"The cited {document.kind} {document.registry_id} expired on "
            f"{document.valid_until}, before the application date {application_date}."
        ),
        params={
            "kind": document.kind,
            "registry_id": document.registry_id,
            "valid_until": str(document.valid_until),
        },
    )


def document_unverified(document: ResolvedDocument, check: str) -> Reason:
    """An uploaded certificate, present but not verified: an officer checks the scan
    (`check` says what to look for) before it counts. Also the reason of a refusal when
    the officer finds it wanting (`refused_by_officer`)."""
    upload_id = str(document.details.get("upload_id", document.registry_id))
    return Reason(
        code="document_unverified",
        legal_basis=legal_basis("document_unverified"),
        side=SIDE,
        detail=(
            f"The {document.kind} was uploaded (upload {upload_id}, "
            f"{document.details.get('media_type') or 'scan'}); an officer verifies it before "
            f"it counts: {check}. Download it at /v1/uploads/{upload_id}."
        ),
        params={
            "kind": document.kind,
            "upload_id": upload_id,
            "sha256": str(document.details.get("sha256") or ""),
            "check": check,
        },
    )


def watchlist_match() -> Reason:
    return Reason(
        code="watchlist_match",
        legal_basis=legal_basis("watchlist_match"),
        side=SIDE,
        detail="Identity flagged a watch-list match; an officer decides.",
    )


def refused_by_officer(officer: str, reason: str, under_review: Sequence[Reason] = ()) -> Reason:
    """The officer's refusal, in the officer's words. When the review was about uploaded
    documents only (`under_review`: the reasons the permit was sent to review for), the
    officer refused the uploads: `document_unverified`, naming the documents."""
    if under_review and all(r.code == "document_unverified" for r in under_review):
        kinds = ",".join(dict.fromkeys(r.params.get("kind", "") for r in under_review))
        uploads = ",".join(r.params.get("upload_id", "") for r in under_review)
        return Reason(
            code="document_unverified",
            legal_basis=legal_basis("document_unverified"),
            side=SIDE,
            detail=reason or "The reviewing officer could not verify the uploaded document.",
            params={"kind": kinds, "upload_id": uploads, "officer": officer},
        )
    return Reason(
        code="refused_by_officer",
        legal_basis=legal_basis("refused_by_officer"),
        side=SIDE,
        detail=reason or "Refused by the reviewing officer.",
        params={"officer": officer},
    )


def outside_extension_window(
    opens: date, closes: date, valid_until: date, requested_on: date, window: ExtensionWindow
) -> Reason:
    days = f"{window.opens_days_before_expiry} to {window.closes_days_before_expiry} days"
    return Reason(
        code="outside_extension_window",
        legal_basis=legal_basis("outside_extension_window"),
        side=SIDE,
        detail=(
            f"An extension can be requested from {opens} to {closes}, {days} before the "
            f"permit expires on {valid_until}; this request came on {requested_on}."
        ),
        params={
            "window_opens": str(opens),
            "window_closes": str(closes),
            "expires_on": str(valid_until),
            "requested_on": str(requested_on),
        },
    )


def permit_not_found(permit_number: str) -> Reason:
    return Reason(
        code="document_not_found",
        legal_basis=legal_basis("document_not_found"),
        side=SIDE,
        detail=f"No issued work permit has the number {permit_number}.",
        params={"kind": "work_permit", "registry_id": permit_number},
    )


def contract_not_extended(contract_end: date, valid_until: date) -> Reason:
    return Reason(
        code="document_missing",
        legal_basis=legal_basis("document_missing"),
        side=SIDE,
        detail=(
            f"The employment contract ends on {contract_end}, not after the permit's current "
            f"validity ({valid_until}); an extension needs a contract that runs longer."
        ),
        params={
            "documents": EMPLOYMENT_CONTRACT,
            "contract_end": str(contract_end),
            "valid_until": str(valid_until),
        },
    )
