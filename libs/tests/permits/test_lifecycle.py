"""The reservation lifecycle every permit shares, told with a parking permit: assessment's
answer, reservation, issue, lapse, renewal, compensation, an officer's decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from onewindow.contracts.v1.common import LegalBasis, Reason
from onewindow.permits.events import (
    DomainEvent,
    IssueRejected,
    OfficerDecisionRecorded,
    Refused,
    ReservationCancelled,
    ReservationExpired,
    ReviewRequired,
    Revoked,
)
from onewindow.permits.permit import REVOCATION_BASIS, PermitNumberNeeded

from .support import (
    NOW,
    NUMBER,
    POLICIES,
    Assessed,
    AssessParkingPermit,
    Extended,
    ExtensionRefused,
    Issued,
    ParkingPermit,
    Reserved,
    replayed,
)

ASSESSED = Assessed(
    application_id="app-1",
    person_ref="person-1",
    application_date=date(2026, 3, 2),
    passport_expires_on=date(2033, 10, 31),
    bay="B7",
)
UNTIL = NOW.replace(microsecond=0) + timedelta(days=30)
RESERVED = Reserved(permit_number=NUMBER, reserved_until=UNTIL, bay="B7")
ISSUED = Issued(permit_number=NUMBER, valid_until=date(2027, 3, 2), issued_at=NOW)
EXPIRED = ReservationExpired(permit_number=NUMBER, expired_at=UNTIL)
REVOKED = Revoked(
    permit_number=NUMBER, reason="permit_revoked", legal_basis=REVOCATION_BASIS, revoked_at=NOW
)


def assess(**changes: object) -> AssessParkingPermit:
    return AssessParkingPermit.model_validate({"application_id": "app-1", **changes})


# -- the assessment's answer ------------------------------------------------------------------


def test_an_assessment_keeps_the_facts_every_permit_keeps_and_the_services_own() -> None:
    (assessed, _) = replayed().assess(assess(), POLICIES, NOW, NUMBER)
    assert assessed == ASSESSED


def test_a_refusal_names_every_reason_and_reserves_nothing() -> None:
    p = replayed()
    events = p.assess(assess(licensed=False, photo=False), POLICIES, NOW)
    assert events == [ASSESSED, Refused(reasons=(Reason(code="not_eligible_category"),))]
    assert p.state == "refused"


def test_a_missing_document_sends_the_permit_to_review() -> None:
    p = replayed()
    events = p.assess(assess(photo=False), POLICIES, NOW)
    assert events[1] == ReviewRequired(
        reasons=(Reason(code="document_missing"),), missing_documents=("photo",)
    )
    assert p.state == "review_required"
    assert p.reasons == (Reason(code="document_missing"),)


def test_a_reservation_needs_an_allocated_number_and_records_nothing_without_one() -> None:
    p = replayed()
    with pytest.raises(PermitNumberNeeded):
        p.assess(assess(), POLICIES, NOW)
    # The service decides again with a number, on this very permit.
    assert (p.state, p.assessed) == ("new", None)
    assert p.assess(assess(), POLICIES, NOW, NUMBER) == [ASSESSED, RESERVED]


def test_a_reservation_is_held_for_the_policys_days_to_the_whole_second() -> None:
    p = replayed()
    events = p.assess(assess(), POLICIES, NOW, NUMBER)
    assert events == [ASSESSED, RESERVED]
    assert (p.state, p.permit_number, p.reserved_until) == ("reserved", NUMBER, UNTIL)


def test_the_policy_in_force_on_the_application_date_sets_the_reservation_period() -> None:
    events = replayed().assess(assess(application_date=date(2025, 12, 31)), POLICIES, NOW, NUMBER)
    assert events[1] == RESERVED.model_copy(
        update={"reserved_until": NOW.replace(microsecond=0) + timedelta(days=20)}
    )


@pytest.mark.parametrize(
    "history",
    [
        pytest.param((ASSESSED, RESERVED), id="a reserved permit"),
        pytest.param((ASSESSED, Refused(reasons=())), id="a refused permit"),
        pytest.param((ASSESSED, RESERVED, ISSUED), id="an issued permit"),
    ],
)
def test_only_a_new_permit_or_one_in_review_is_assessed(history: tuple[DomainEvent, ...]) -> None:
    assert replayed(*history).assess(assess(), POLICIES, NOW, NUMBER) == []


# -- issue and lapse ---------------------------------------------------------------------------


def test_a_reserved_permit_is_issued_as_the_service_says() -> None:
    p = replayed(ASSESSED, RESERVED)
    events = p.issue(NOW)
    assert events == [ISSUED.model_copy(update={"valid_until": date(2027, 3, 2)})]
    assert (p.state, p.valid_until) == ("issued", date(2027, 3, 2))


@pytest.mark.parametrize(
    ("history", "state"),
    [
        pytest.param((), "new", id="before any assessment"),
        pytest.param((ASSESSED, RESERVED, ISSUED), "issued", id="a second issue"),
        pytest.param((ASSESSED, RESERVED, EXPIRED), "expired", id="after the lapse"),
    ],
)
def test_an_issue_outside_a_reservation_is_rejected_and_changes_nothing(
    history: tuple[DomainEvent, ...], state: str
) -> None:
    p = replayed(*history)
    events = p.issue(NOW)
    assert events == [IssueRejected(state=state, rejected_at=NOW)]
    assert p.state == state


def test_an_issue_once_the_reservation_has_lapsed_records_the_lapse_and_is_rejected() -> None:
    p = replayed(ASSESSED, RESERVED)
    events = p.issue(UNTIL)
    assert events == [
        ReservationExpired(permit_number=NUMBER, expired_at=UNTIL),
        IssueRejected(state="expired", rejected_at=UNTIL),
    ]
    assert p.state == "expired"


def test_a_reservation_lapses_at_the_end_of_its_period_and_not_before() -> None:
    p = replayed(ASSESSED, RESERVED)
    assert p.expire_reservation(UNTIL - timedelta(seconds=1)) == []
    assert p.expire_reservation(UNTIL) == [EXPIRED]


def test_an_issued_permit_never_lapses_as_a_reservation() -> None:
    assert replayed(ASSESSED, RESERVED, ISSUED).expire_reservation(UNTIL) == []


def test_a_lapsed_reservation_is_renewed_under_its_number_for_a_new_period() -> None:
    later = NOW + timedelta(days=40)
    p = replayed(ASSESSED, RESERVED, EXPIRED)
    events = p.renew_reservation(POLICIES, later)
    renewed = RESERVED.model_copy(
        update={"reserved_until": later.replace(microsecond=0) + timedelta(days=30)}
    )
    assert events == [renewed]
    assert p.state == "reserved"


@pytest.mark.parametrize(
    ("history", "state"),
    [
        pytest.param((), "new", id="nothing reserved yet"),
        pytest.param((ASSESSED, Refused(reasons=())), "refused", id="a refused permit"),
        pytest.param((ASSESSED, RESERVED, ISSUED), "issued", id="an issued permit"),
    ],
)
def test_only_a_reservation_can_be_renewed(history: tuple[DomainEvent, ...], state: str) -> None:
    events = replayed(*history).renew_reservation(POLICIES, NOW)
    assert events == [IssueRejected(state=state, rejected_at=NOW)]


# -- compensation --------------------------------------------------------------------------------

RELEASED = ReservationCancelled(permit_number=None, reason="counterpart_refused", cancelled_at=NOW)


@pytest.mark.parametrize(
    ("history", "answer", "state"),
    [
        pytest.param((), RELEASED, "cancelled", id="a permit not yet assessed is released"),
        pytest.param((ASSESSED, RESERVED), RELEASED.model_copy(update={"permit_number": NUMBER}),
                     "cancelled", id="a reservation is released, naming its number"),
        pytest.param((ASSESSED, RESERVED, EXPIRED), RELEASED, "cancelled",
                     id="a lapsed reservation is released without its number"),
        pytest.param((ASSESSED, RESERVED, RELEASED), RELEASED, "cancelled",
                     id="a released permit is answered again"),
        pytest.param((ASSESSED, Refused(reasons=())), RELEASED, "refused",
                     id="a refused permit is answered and stays refused"),
        pytest.param((ASSESSED, RESERVED, ISSUED),
                     REVOKED.model_copy(update={"reason": "counterpart_refused"}), "revoked",
                     id="an issued permit is revoked with its legal basis"),
        pytest.param((ASSESSED, RESERVED, ISSUED, REVOKED), REVOKED, "revoked",
                     id="a revoked permit gives the same revocation again"),
    ],
)  # fmt: skip
def test_every_compensation_is_answered(
    history: tuple[DomainEvent, ...], answer: DomainEvent, state: str
) -> None:
    p = replayed(*history)
    events = p.cancel_reservation("counterpart_refused", NOW)
    assert events == [answer]
    assert p.state == state


# -- an officer's decision -----------------------------------------------------------------------

IN_REVIEW = (ASSESSED, ReviewRequired(reasons=(Reason(code="watchlist_match"),)))


def test_an_officers_approval_reserves_a_permit_in_review() -> None:
    p = replayed(*IN_REVIEW)
    events = p.record_officer_decision("approve", "olga", "checked", POLICIES, NOW, NUMBER)
    assert events == [
        OfficerDecisionRecorded(
            decision="approve", officer="olga", reason="checked", recorded_at=NOW
        ),
        RESERVED,
    ]
    assert (p.state, p.reasons) == ("reserved", ())


def test_an_officers_approval_needs_an_allocated_number_and_records_nothing_without_one() -> None:
    p = replayed(*IN_REVIEW)
    with pytest.raises(PermitNumberNeeded):
        p.record_officer_decision("approve", "olga", "", POLICIES, NOW)
    assert vars(p) == vars(replayed(*IN_REVIEW))


def test_an_officers_refusal_is_worded_by_the_service() -> None:
    p = replayed(*IN_REVIEW)
    p.record_officer_decision("refuse", "olga", "No.", POLICIES, NOW)
    assert (p.state, p.reasons) == (
        "refused",
        (
            Reason(
                code="refused_by_officer",
                side="work",
                detail="No.",
                params={"officer": "olga"},
                legal_basis=LegalBasis(policy="parking-2026.1", article="§7"),
            ),
        ),
    )


def test_an_officers_decision_outside_review_changes_nothing() -> None:
    p = replayed(ASSESSED, RESERVED)
    assert p.record_officer_decision("refuse", "olga", "", POLICIES, NOW) == []


# -- extension -----------------------------------------------------------------------------------


def test_an_extension_moves_the_validity_and_is_remembered() -> None:
    p = replayed(ASSESSED, RESERVED, ISSUED)
    (extended,) = p.extend("ext-1")
    assert isinstance(extended, Extended)
    assert p.valid_until == date(2028, 3, 1)
    assert p.extensions == {"ext-1"}
    assert p.extended == {"ext-1": extended}


def test_a_refused_extension_is_remembered_too() -> None:
    p = replayed(ASSESSED, RESERVED)
    p.extend("ext-1")
    assert p.extensions == {"ext-1"}
    assert isinstance(p.extend("ext-2")[0], ExtensionRefused)


# -- the convention: a decision records what it decides --------------------------------------------

Decide = Callable[[ParkingPermit], list[DomainEvent]]
DECISIONS: dict[str, tuple[tuple[DomainEvent, ...], Decide]] = {
    "an assessment": ((), lambda p: p.assess(assess(photo=False), POLICIES, NOW)),
    "an approval": (IN_REVIEW, lambda p: p.record_officer_decision(
        "approve", "olga", "", POLICIES, NOW, NUMBER)),
    "an issue": ((ASSESSED, RESERVED), lambda p: p.issue(NOW)),
    "an issue after the lapse": ((ASSESSED, RESERVED), lambda p: p.issue(UNTIL)),
    "a renewal": ((ASSESSED, RESERVED, EXPIRED), lambda p: p.renew_reservation(POLICIES, NOW)),
    "a lapse": ((ASSESSED, RESERVED), lambda p: p.expire_reservation(UNTIL)),
    "a revocation": ((ASSESSED, RESERVED, ISSUED), lambda p: p.cancel_reservation(
        "counterpart_refused", NOW)),
    "an extension": ((ASSESSED, RESERVED, ISSUED), lambda p: p.extend("ext-1")),
}  # fmt: skip


@pytest.mark.parametrize(("history", "decide"), DECISIONS.values(), ids=DECISIONS.keys())
def test_a_decision_leaves_the_permit_its_events_replay_to(
    history: tuple[DomainEvent, ...], decide: Decide
) -> None:
    p = replayed(*history)
    events = decide(p)
    assert events
    assert vars(p) == vars(replayed(*history, *events))
