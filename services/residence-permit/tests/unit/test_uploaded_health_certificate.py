"""An uploaded health certificate (DOMAIN.md "Evidence"): never missing, never judged too
old by its upload date; the residence permit goes to an officer with the scan to check
(issued within the last six months), and the officer's approval reserves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

import pytest

from onewindow.contracts.v1.common import SUPPLEMENT_CODES, LegalBasis
from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.residence_permit.domain.events import DomainEvent, Refused, Reserved, ReviewRequired
from onewindow.residence_permit.domain.permit import ResidencePermit
from onewindow.residence_permit.domain.policy import ARTICLES, published_policies
from onewindow.residence_permit.domain.reasons import REASONS

POLICIES = published_policies()
APPLIED = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = "RP-2026-000001"


def registry_health(issued_on: str) -> dict[str, Any]:
    return {"kind": "health", "registry_id": "h-1", "issuer": "clinic", "issued_on": issued_on}


def uploaded_health(upload_id: str = "u-1") -> dict[str, Any]:
    """As identity passes an upload on: issued on the day it was uploaded, unverified."""
    return {
        "kind": "health",
        "registry_id": f"upload:{upload_id}",
        "issuer": "uploaded by the applicant",
        "issued_on": "2026-03-01",
        "details": {
            "upload_id": upload_id,
            "sha256": "cd" * 32,
            "media_type": "image/jpeg",
            "verified": False,
        },
    }


def command(documents: list[dict[str, Any]], **changes: Any) -> AssessResidencePermit:
    return AssessResidencePermit.model_validate(
        {
            "application_id": "app-1",
            "person_ref": "person-1",
            "date_of_birth": "1984-08-12",
            "passport_expires_on": "2033-10-31",
            "registration_number": "XH-2026-000123",
            "documents": documents,
            "application_date": APPLIED.isoformat(),
        }
        | changes
    )


def assess(cmd: AssessResidencePermit) -> list[DomainEvent]:
    return ResidencePermit("app-1").assess(cmd, POLICIES, NOW, NUMBER)


CASES = [
    pytest.param(
        [uploaded_health()], {}, ["document_unverified"], id="an upload goes to an officer"
    ),
    pytest.param(
        [registry_health("2026-01-15"), uploaded_health()],
        {},
        [],
        id="a current registry certificate makes the upload needless",
    ),
    pytest.param(
        [uploaded_health()],
        {"date_of_birth": "1950-01-01"},
        [],
        id="an applicant over 70 needs no certificate, uploaded or not",
    ),
    pytest.param(
        [uploaded_health()],
        {"flags": ["watchlist_match"]},
        ["document_unverified", "watchlist_match"],
        id="beside a flag the officer sees both",
    ),
    pytest.param(
        [uploaded_health()],
        {"registration_number": None},
        ["registration_number_required", "document_unverified"],
        id="a missing registration number is still asked for",
    ),
]


@pytest.mark.parametrize(("documents", "changes", "expected"), CASES)
def test_an_uploaded_health_certificate(
    documents: list[dict[str, Any]], changes: dict[str, Any], expected: list[str]
) -> None:
    outcome = assess(command(documents, **changes))[-1]
    if not expected:
        assert isinstance(outcome, Reserved)
        return
    assert isinstance(outcome, ReviewRequired)
    assert [r.code for r in outcome.reasons] == expected
    assert "health" not in outcome.missing_documents  # never missing


def test_the_review_names_the_scan_and_the_issue_date_to_check() -> None:
    outcome = assess(command([uploaded_health()]))[-1]
    assert isinstance(outcome, ReviewRequired)
    [reason] = outcome.reasons
    assert reason.code not in SUPPLEMENT_CODES
    assert reason.params == {
        "kind": "health",
        "upload_id": "u-1",
        "sha256": "cd" * 32,
        "check": "a health certificate of the applicant issued on or after 2025-09-02 "
        "(within 6 months before the application)",
    }
    assert reason.legal_basis == LegalBasis(
        policy="rp-2013.1-shanghai", article=ARTICLES["document_unverified"]
    )


@pytest.mark.parametrize(
    ("decision", "expected"),
    [("approve", Reserved), ("refuse", Refused)],
    ids=["approve", "refuse"],
)
def test_the_officers_approval_reserves_and_a_refusal_refuses(
    decision: Literal["approve", "refuse"], expected: type[DomainEvent]
) -> None:
    permit = ResidencePermit("app-1")
    for event in assess(command([uploaded_health()])):
        permit.apply(event)
    events = permit.record_officer_decision(decision, "olga", "Unreadable.", POLICIES, NOW, NUMBER)
    assert isinstance(events[-1], expected)


def test_a_refusal_of_an_upload_only_review_is_worded_document_unverified() -> None:
    review = assess(command([uploaded_health()]))[-1]
    assert isinstance(review, ReviewRequired)
    refusal = REASONS.refused_by_officer("olga", "Unreadable.", under_review=review.reasons)
    assert (refusal.code, refusal.params["kind"], refusal.detail) == (
        "document_unverified",
        "health",
        "Unreadable.",
    )
    assert refusal.legal_basis == LegalBasis(
        policy="rp-2013.1-shanghai", article=ARTICLES["document_unverified"]
    )
