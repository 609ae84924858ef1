"""A case in identity: the latest verification counts, closing is recorded once."""

from __future__ import annotations

from datetime import date

import pytest

from onewindow.contracts.v1.common import Employer, Reason
from onewindow.identity.domain.case import CaseEnded, CaseRejected, CaseVerified, IdentityCase
from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.verification import Rejected, Verified

EMPLOYER = Employer(
    uscc="91310104MA1FL5KX1N", name="Xuhui Labs", licence_valid_until=date(2031, 1, 1)
)
VERIFIED = CaseVerified(
    application_id="A-1", person_ref="P-1", employer=EMPLOYER, documents=(), flags=()
)
REJECTED = CaseRejected(
    application_id="A-1",
    person_ref="P-1",
    employer_uscc=EMPLOYER.uscc,
    reasons=(Reason(code="passport_expired", side="identity"),),
)
ENDED = CaseEnded(application_id="A-1", outcome="withdrawn")


@pytest.mark.parametrize(
    ("rule", "history", "verified", "ended"),
    [
        ("unknown_case_is_neither_verified_nor_closed", [], False, False),
        ("verified_case", [VERIFIED], True, False),
        ("rejected_case", [REJECTED], False, False),
        ("latest_verification_counts", [VERIFIED, REJECTED], False, False),
        ("reverified_after_rejection", [REJECTED, VERIFIED], True, False),
        ("closed_case_stays_closed", [VERIFIED, ENDED], True, True),
    ],
)
def test_case_state_from_history(
    rule: str, history: list[DomainEvent], verified: bool, ended: bool
) -> None:
    case = IdentityCase.replay("A-1", history)
    assert (case.verified, case.ended) == (verified, ended), rule
    if history:
        assert (case.person_ref, case.employer_uscc) == ("P-1", EMPLOYER.uscc)


def test_verification_is_recorded_with_its_result() -> None:
    case = IdentityCase("A-1")
    assert (
        case.record_verification(
            "P-1", EMPLOYER.uscc, Verified(employer=EMPLOYER, documents=(), flags=())
        )
        == VERIFIED
    )
    rejected = case.record_verification(
        "P-1", EMPLOYER.uscc, Rejected(reasons=REJECTED.reasons, duplicate_of=None)
    )
    assert rejected == REJECTED


def test_closing_is_recorded_once() -> None:
    assert IdentityCase("A-1").end("withdrawn") == [ENDED]
    assert IdentityCase.replay("A-1", [ENDED]).end("approved") == []
