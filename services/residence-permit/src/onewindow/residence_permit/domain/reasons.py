"""The reasons a residence permit is refused or sent to review, with the facts behind each.

`detail` is an English sentence for logs and operators; `params` carries the facts under
the keys `onewindow.contracts.reasons.PARAMS` reads, for the bilingual catalogue;
`legal_basis` names the article of the policy it rests on (`policy.ARTICLES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from onewindow.contracts.v1.common import Reason, ResolvedDocument
from onewindow.residence_permit.domain.policy import legal_basis

SIDE: Final = "residence"


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


def registration_number_required() -> Reason:
    """No registration number: the applicant is asked for it (a supplement, not a refusal)."""
    return Reason(
        code="registration_number_required",
        legal_basis=legal_basis("registration_number_required"),
        side=SIDE,
        detail="No temporary residence registration number was given.",
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


def health_certificate_too_old(issued_on: date, oldest_accepted: date, months: int) -> Reason:
    return Reason(
        code="health_certificate_too_old",
        legal_basis=legal_basis("health_certificate_too_old"),
        side=SIDE,
        detail=(
            f"The health certificate was issued on {issued_on}; it must be issued on or after "
            f"{oldest_accepted}, within {months} months before the application."
        ),
        params={
            "issued_on": str(issued_on),
            "maximum_months": str(months),
            "issued_on_or_after": str(oldest_accepted),
        },
    )


def health_certificate_missing() -> Reason:
    return Reason(
        code="document_missing",
        legal_basis=legal_basis("document_missing"),
        side=SIDE,
        detail="No health certificate was cited.",
        params={"documents": "health"},
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
            f"The {document.kind} certificate was uploaded (upload {upload_id}, "
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


def permit_not_issued(application_id: str, state: str) -> Reason:
    return Reason(
        code="document_not_found",
        legal_basis=legal_basis("document_not_found"),
        side=SIDE,
        detail=f"Application {application_id} holds no issued residence permit ({state}).",
        params={"kind": "residence_permit"},
    )
