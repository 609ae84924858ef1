"""A residence permit after its assessment: issue beside the work permit, cancellation,
expiry, officers, and extension with the work permit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from onewindow.permits.permit import REVOCATION_BASIS
from onewindow.residence_permit.domain.events import (
    Assessed,
    DomainEvent,
    Extended,
    ExtensionRefused,
    Issued,
    IssueRejected,
    OfficerDecisionRecorded,
    Refused,
    ReservationCancelled,
    ReservationExpired,
    Reserved,
    ReviewRequired,
    Revoked,
)
from onewindow.residence_permit.domain.permit import ResidencePermit
from onewindow.residence_permit.domain.policy import published_policies

POLICIES = published_policies()
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = "RP-2026-000009"
PASSPORT = date(2031, 6, 30)

ASSESSED = Assessed(
    application_id="app-1",
    person_ref="person-1",
    application_date=date(2026, 3, 2),
    date_of_birth=date(1984, 8, 12),
    passport_expires_on=PASSPORT,
)
RESERVED = Reserved(permit_number=NUMBER, reserved_until=NOW + timedelta(days=30))
ISSUED = Issued(
    permit_number=NUMBER,
    work_permit_number="WP-2026-000001",
    valid_until=date(2029, 4, 30),
    issued_at=NOW,
)


def permit(*events: DomainEvent) -> ResidencePermit:
    return ResidencePermit.replay("app-1", events)


@pytest.mark.parametrize(
    ("work_permit_valid_until", "valid_until"),
    [
        pytest.param(
            date(2029, 4, 30),
            date(2029, 4, 30),
            id="the residence permit ends with the work permit",
        ),
        pytest.param(
            date(2031, 12, 31), PASSPORT, id="the passport expiry limits it when it comes first"
        ),
    ],
)
def test_issue_validity_is_the_earlier_of_work_permit_and_passport(
    work_permit_valid_until: date, valid_until: date
) -> None:
    p = permit(ASSESSED, RESERVED)
    events = p.issue("WP-2026-000001", work_permit_valid_until, NOW)
    assert events == [
        Issued(
            permit_number=NUMBER,
            work_permit_number="WP-2026-000001",
            valid_until=valid_until,
            issued_at=NOW,
        )
    ]
    assert p.state == "issued"


@pytest.mark.parametrize(
    ("history", "state"),
    [
        pytest.param((), "new", id="an issue before any assessment is rejected"),
        pytest.param(
            (
                ASSESSED,
                RESERVED,
                ReservationCancelled(
                    permit_number=NUMBER, reason="counterpart_refused", cancelled_at=NOW
                ),
            ),
            "cancelled",
            id="an issue after a cancellation is rejected",
        ),
        pytest.param((ASSESSED, RESERVED, ISSUED), "issued", id="a second issue is rejected"),
    ],
)
def test_an_issue_outside_reservation_is_rejected_and_changes_nothing(
    history: tuple[DomainEvent, ...], state: str
) -> None:
    p = permit(*history)
    events = p.issue("WP-2026-000001", date(2029, 4, 30), NOW)
    assert events == [IssueRejected(state=state, rejected_at=NOW)]
    assert p.state == state


def test_an_issue_after_the_reservation_lapsed_is_rejected() -> None:
    events = permit(ASSESSED, RESERVED).issue("WP-1", date(2029, 4, 30), NOW + timedelta(days=30))
    assert tuple(type(e) for e in events) == (ReservationExpired, IssueRejected)


EXPIRED = ReservationExpired(permit_number=NUMBER, expired_at=NOW + timedelta(days=30))
REVOKED = Revoked(
    permit_number=NUMBER, reason="permit_revoked", legal_basis=REVOCATION_BASIS, revoked_at=NOW
)
RELEASED = ReservationCancelled(permit_number=None, reason="counterpart_refused", cancelled_at=NOW)


@pytest.mark.parametrize(
    ("history", "answer", "state"),
    [
        pytest.param((ASSESSED, RESERVED), RELEASED.model_copy(update={"permit_number": NUMBER}),
                     "cancelled", id="a reservation is released, naming its number"),
        pytest.param((ASSESSED, RESERVED, EXPIRED), RELEASED, "cancelled",
                     id="a lapsed reservation is released"),
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
    p = permit(*history)
    events = p.cancel_reservation("counterpart_refused", NOW)
    assert events == [answer]
    assert p.state == state


def test_a_lapsed_reservation_is_renewed_under_its_number_and_can_then_be_issued() -> None:
    later = NOW + timedelta(days=40)
    p = permit(ASSESSED, RESERVED, EXPIRED)
    events = p.renew_reservation(POLICIES, later)
    assert events == [Reserved(permit_number=NUMBER, reserved_until=later + timedelta(days=30))]
    issued = p.issue("WP-1", date(2029, 4, 30), later)
    assert [type(e) for e in issued] == [Issued]


def test_a_revoked_permit_cannot_be_renewed() -> None:
    p = permit(ASSESSED, RESERVED, ISSUED, REVOKED)
    assert p.renew_reservation(POLICIES, NOW) == [IssueRejected(state="revoked", rejected_at=NOW)]


def test_a_cancellation_of_a_permit_in_review_names_no_number() -> None:
    p = permit(ASSESSED, ReviewRequired(reasons=()))
    (cancelled,) = p.cancel_reservation("withdrawn_by_applicant", NOW)
    assert isinstance(cancelled, ReservationCancelled)
    assert cancelled.permit_number is None


def test_a_reservation_never_confirmed_lapses_after_its_period() -> None:
    p = permit(ASSESSED, RESERVED)
    assert p.expire_reservation(NOW + timedelta(days=29)) == []
    events = p.expire_reservation(NOW + timedelta(days=30))
    assert [type(e) for e in events] == [ReservationExpired]
    assert p.state == "expired"


def test_an_officer_approval_reserves_and_a_refusal_refuses() -> None:
    approved = permit(ASSESSED, ReviewRequired(reasons=()))
    events = approved.record_officer_decision("approve", "officer-1", "", POLICIES, NOW, NUMBER)
    assert tuple(type(e) for e in events) == (OfficerDecisionRecorded, Reserved)
    assert (approved.state, approved.permit_number) == ("reserved", NUMBER)
    refused = permit(ASSESSED, ReviewRequired(reasons=()))
    refused.record_officer_decision("refuse", "officer-1", "Address not in Xuhui.", POLICIES, NOW)
    assert refused.state == "refused"
    assert [r.code for r in refused.reasons] == ["refused_by_officer"]


@pytest.mark.parametrize(
    ("new_work_permit_validity", "valid_until"),
    [
        pytest.param(
            date(2031, 4, 30), date(2031, 4, 30), id="an extension follows the work permit"
        ),
        pytest.param(date(2033, 1, 1), PASSPORT, id="an extension stops at the passport expiry"),
    ],
)
def test_extension_follows_the_work_permit(
    new_work_permit_validity: date, valid_until: date
) -> None:
    p = permit(ASSESSED, RESERVED, ISSUED)
    events = p.extend("ext-1", new_work_permit_validity)
    assert events == [
        Extended(
            extension_id="ext-1",
            permit_number=NUMBER,
            work_permit_valid_until=new_work_permit_validity,
            previous_valid_until=date(2029, 4, 30),
            valid_until=valid_until,
        )
    ]
    assert (p.valid_until, p.extensions) == (valid_until, {"ext-1"})
    assert p.extend("ext-1", new_work_permit_validity) == []


def test_a_permit_not_issued_is_not_extended() -> None:
    p = permit(ASSESSED, RESERVED)
    (refused,) = p.extend("ext-1", date(2031, 4, 30))
    assert isinstance(refused, ExtensionRefused)
    assert [r.code for r in refused.reasons] == ["document_not_found"]
    assert (p.state, p.extensions) == ("reserved", {"ext-1"})
