"""Uploaded documents on the work permit (DOMAIN.md "Evidence"): an uploaded certificate
the decision needs is never missing, but counts only once an officer verified it, so the
permit goes to review with the document to check; the officer's approval reserves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from onewindow.contracts.v1.common import SUPPLEMENT_CODES, LegalBasis
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.work_permit.domain.events import (
    Assessed,
    DomainEvent,
    Refused,
    Reserved,
    ReviewRequired,
)
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import ARTICLES, published_policies
from onewindow.work_permit.domain.reasons import REASONS

POLICIES = published_policies()
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = "WP-2026-000001"


def document(kind: str) -> dict[str, Any]:
    """As identity passes a registry certificate on."""
    return {
        "kind": kind,
        "registry_id": f"{kind}-1",
        "issuer": "registry",
        "issued_on": "2020-01-01",
    }


def uploaded(kind: str, upload_id: str = "u-1") -> dict[str, Any]:
    """As identity passes an upload on."""
    return {
        "kind": kind,
        "registry_id": f"upload:{upload_id}",
        "issuer": "uploaded by the applicant",
        "issued_on": "2026-03-01",
        "details": {
            "upload_id": upload_id,
            "sha256": "ab" * 32,
            "media_type": "application/pdf",
            "verified": False,
        },
    }


def command(
    documents: list[dict[str, Any]], *, modest: bool = False, **changes: Any
) -> AssessWorkPermit:
    """A Category-A applicant by salary (`modest`: Category B by points, not eligible)."""
    return AssessWorkPermit.model_validate(
        {
            "application_id": "app-1",
            "person_ref": "person-1",
            "date_of_birth": "1984-08-12",
            "passport_expires_on": "2033-10-31",
            "employer": {
                "uscc": "91310104MA1FL5KX1N",
                "name": "Example Ltd",
                "licence_valid_until": "2030-12-31",
            },
            "position": {
                "title": "Chief Scientist",
                "annual_salary_cny": 100_000 if modest else 900_000,
                "contract_start": "2026-05-01",
                "contract_end": "2029-04-30",
                "months_in_china_per_year": 12,
            },
            "qualifications": {"education": "doctorate", "experience_years": 2 if modest else 15},
            "documents": documents,
            "application_date": TODAY.isoformat(),
            **changes,
        }
    )


def assess(cmd: AssessWorkPermit) -> list[DomainEvent]:
    return WorkPermit("app-1").assess(cmd, POLICIES, NOW, TODAY, NUMBER)


MODEST = {"modest": True}

UPLOADS = [
    pytest.param(
        [uploaded("degree"), document("criminal_record")],
        {},
        [("document_unverified", "degree")],
        id="an uploaded degree goes to an officer, not to a supplement request",
    ),
    pytest.param(
        [document("degree"), uploaded("criminal_record")],
        {},
        [("document_unverified", "criminal_record")],
        id="an uploaded criminal record certificate goes to an officer",
    ),
    pytest.param(
        [uploaded("degree", "u-1"), uploaded("criminal_record", "u-2")],
        {},
        [("document_unverified", "degree"), ("document_unverified", "criminal_record")],
        id="each uploaded document is named for the officer",
    ),
    pytest.param(
        [document("degree"), document("criminal_record"), uploaded("health")],
        {},
        [],
        id="an upload the work permit does not need changes nothing",
    ),
    pytest.param(
        [document("degree"), document("criminal_record"), uploaded("degree", "u-9")],
        {},
        [],
        id="a registry degree in force makes an uploaded one needless",
    ),
    pytest.param(
        [document("degree"), document("criminal_record"), uploaded("talent_recognition")],
        MODEST,
        [("document_unverified", "talent_recognition")],
        id="an uploaded talent recognition the category rests on goes to an officer",
    ),
    pytest.param(
        [document("degree"), document("criminal_record"), uploaded("talent_recognition")],
        {},
        [],
        id="an uploaded talent recognition of a person eligible anyway changes nothing",
    ),
    pytest.param(
        [uploaded("degree"), document("criminal_record")],
        {"flags": ["watchlist_match"]},
        [("document_unverified", "degree"), ("watchlist_match", "")],
        id="an upload beside a flag: the officer sees both",
    ),
]


@pytest.mark.parametrize(("documents", "changes", "expected"), UPLOADS)
def test_an_uploaded_document(
    documents: list[dict[str, Any]], changes: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    outcome = assess(command(documents=documents, **changes))[-1]
    if not expected:
        assert isinstance(outcome, Reserved)
        return
    assert isinstance(outcome, ReviewRequired)
    assert [(r.code, r.params.get("kind", "")) for r in outcome.reasons] == expected
    assert outcome.missing_documents == ()  # never missing: nothing is asked of the applicant
    assert not any(r.code in SUPPLEMENT_CODES for r in outcome.reasons)


def test_the_review_names_the_upload_what_to_check_and_its_legal_basis() -> None:
    outcome = assess(command(documents=[uploaded("degree"), document("criminal_record")]))[-1]
    assert isinstance(outcome, ReviewRequired)
    [reason] = outcome.reasons
    assert reason.params == {
        "kind": "degree",
        "upload_id": "u-1",
        "sha256": "ab" * 32,
        "check": "a doctorate degree held by the applicant",
    }
    assert "/v1/uploads/u-1" in (reason.detail or "")
    assert reason.legal_basis == LegalBasis(
        policy="fwp-2017.1-shanghai", article=ARTICLES["document_unverified"]
    )


def test_an_uploaded_degree_scores_the_typed_level_and_says_it_is_not_in_the_registry() -> None:
    events = assess(command(documents=[uploaded("degree"), document("criminal_record")]))
    assessed = events[0]
    assert isinstance(assessed, Assessed)
    factors = {f.factor: f for f in assessed.classification.factors}
    assert factors["education"].value == "doctorate (typed; no registry degree)"


def test_the_officers_approval_of_the_upload_reserves_the_permit() -> None:
    permit = WorkPermit("app-1")
    for event in assess(command(documents=[uploaded("degree"), document("criminal_record")])):
        permit.apply(event)
    assert permit.state == "review_required"
    events = permit.record_officer_decision("approve", "olga", "", POLICIES, NOW, NUMBER)
    assert isinstance(events[-1], Reserved)


def test_the_officers_refusal_of_an_upload_only_review_is_document_unverified() -> None:
    review = assess(command(documents=[uploaded("degree"), document("criminal_record")]))[-1]
    assert isinstance(review, ReviewRequired)
    refusal = REASONS.refused_by_officer("olga", "Not a degree.", under_review=review.reasons)
    assert (refusal.code, refusal.detail) == ("document_unverified", "Not a degree.")
    assert refusal.params == {"kind": "degree", "upload_id": "u-1", "officer": "olga"}
    assert refusal.legal_basis == LegalBasis(
        policy="fwp-2017.1-shanghai", article=ARTICLES["document_unverified"]
    )


def test_the_officers_refusal_of_a_review_with_other_reasons_stays_refused_by_officer() -> None:
    cmd = command(documents=[uploaded("degree"), document("criminal_record")])
    review = assess(cmd.model_copy(update={"flags": ("watchlist_match",)}))[-1]
    assert isinstance(review, ReviewRequired)
    refusal = REASONS.refused_by_officer("olga", "Watch list.", under_review=review.reasons)
    assert refusal.code == "refused_by_officer"
    assert REASONS.refused_by_officer("olga", "No.").code == "refused_by_officer"


def test_an_officers_refusal_refuses_the_permit() -> None:
    permit = WorkPermit("app-1")
    for event in assess(command(documents=[uploaded("degree"), document("criminal_record")])):
        permit.apply(event)
    events = permit.record_officer_decision("refuse", "olga", "Not a degree.", POLICIES, NOW)
    assert isinstance(events[-1], Refused)
