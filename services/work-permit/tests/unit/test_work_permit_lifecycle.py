"""A work permit after its assessment: issue, cancellation, expiry, officers, extension."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from onewindow.contracts.v1.common import Classification
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.permit import REVOCATION_BASIS, PermitNumberNeeded
from onewindow.work_permit.domain.events import (
    Assessed,
    DomainEvent,
    Extended,
    ExtensionRefused,
    ExtensionReverted,
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
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import published_policies

POLICIES = published_policies()
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = "WP-2026-000007"
VALID_UNTIL = date(2029, 4, 30)

ASSESSED = Assessed(
    application_id="app-1",
    person_ref="person-1",
    application_date=date(2026, 3, 2),
    passport_expires_on=date(2033, 10, 31),
    contract_start=date(2026, 5, 1),
    contract_end=VALID_UNTIL,
    employer_uscc="91310104MA1FL5KX1N",
    classification=Classification(category="A", points=95),
)
RESERVED = Reserved(
    permit_number=NUMBER,
    valid_until=VALID_UNTIL,
    reserved_until=NOW + timedelta(days=30),
    classification=ASSESSED.classification,
)
ISSUED = Issued(permit_number=NUMBER, valid_until=VALID_UNTIL, issued_at=NOW)


def permit(*events: DomainEvent) -> WorkPermit:
    return WorkPermit.replay("app-1", events)


def reserved() -> WorkPermit:
    return permit(ASSESSED, RESERVED)


def issued(passport: date = date(2033, 10, 31)) -> WorkPermit:
    assessed = ASSESSED.model_copy(update={"passport_expires_on": passport})
    return permit(assessed, RESERVED, ISSUED)


# -- issue and cancellation ---------------------------------------------------------------


def test_a_reserved_permit_is_issued_under_its_reserved_number() -> None:
    p = reserved()
    events = p.issue(NOW + timedelta(days=1))
    assert [type(e) for e in events] == [Issued]
    assert p.state == "issued"
    assert p.permit_number == NUMBER


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
        pytest.param(
            (ASSESSED, RESERVED, ISSUED),
            "issued",
            id="a second issue is rejected",
        ),
        pytest.param(
            (ASSESSED, Refused(reasons=())),
            "refused",
            id="an issue of a refused permit is rejected",
        ),
    ],
)
def test_an_issue_outside_reservation_is_rejected_and_changes_nothing(
    history: tuple[DomainEvent, ...], state: str
) -> None:
    p = permit(*history)
    events = p.issue(NOW)
    assert events == [IssueRejected(state=state, rejected_at=NOW)]
    assert p.state == state


def test_an_issue_after_the_reservation_lapsed_expires_it_and_is_rejected() -> None:
    p = reserved()
    events = p.issue(NOW + timedelta(days=30))
    assert tuple(type(e) for e in events) == (ReservationExpired, IssueRejected)
    assert p.state == "expired"


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
        pytest.param((ASSESSED, ReviewRequired(reasons=())), RELEASED, "cancelled",
                     id="a permit in review is released"),
        pytest.param((), RELEASED, "cancelled", id="a permit not yet assessed is released"),
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


def test_a_revoked_number_is_never_issued_again() -> None:
    p = permit(ASSESSED, RESERVED, ISSUED, REVOKED)
    assert p.issue(NOW) == [IssueRejected(state="revoked", rejected_at=NOW)]
    assert p.renew_reservation(POLICIES, NOW) == [IssueRejected(state="revoked", rejected_at=NOW)]


def test_a_lapsed_reservation_is_renewed_under_its_number_for_a_new_period() -> None:
    later = NOW + timedelta(days=40)
    p = permit(ASSESSED, RESERVED, EXPIRED)
    events = p.renew_reservation(POLICIES, later)
    assert events == [RESERVED.model_copy(update={"reserved_until": later + timedelta(days=30)})]
    assert p.state == "reserved"
    assert p.issue(later) == [
        Issued(permit_number=NUMBER, valid_until=VALID_UNTIL, issued_at=later)
    ]


def test_a_refused_permit_cannot_be_renewed() -> None:
    p = permit(ASSESSED, Refused(reasons=()))
    assert p.renew_reservation(POLICIES, NOW) == [IssueRejected(state="refused", rejected_at=NOW)]


def test_a_cancellation_before_the_assessment_stops_the_assessment() -> None:
    p = permit()
    p.cancel_reservation("withdrawn_by_applicant", NOW)
    late = AssessWorkPermit.model_validate(
        {
            "application_id": "app-1",
            "person_ref": "person-1",
            "date_of_birth": "1984-08-12",
            "passport_expires_on": "2033-10-31",
            "employer": {"uscc": "u", "name": "n", "licence_valid_until": "2030-12-31"},
            "position": {
                "title": "t",
                "annual_salary_cny": 900_000,
                "contract_start": "2026-05-01",
                "contract_end": "2029-04-30",
                "months_in_china_per_year": 12,
            },
            "qualifications": {"education": "doctorate", "experience_years": 15},
            "documents": [],
            "commitments": {"criminal_record": True},
            "application_date": "2026-03-02",
        }
    )
    assert p.state == "cancelled"
    assert p.assess(late, POLICIES, NOW, date(2026, 3, 2), NUMBER) == []


# -- expiry -------------------------------------------------------------------------------


def test_a_reservation_does_not_lapse_before_its_period_ends() -> None:
    assert reserved().expire_reservation(NOW + timedelta(days=29, hours=23)) == []


def test_a_reservation_never_confirmed_lapses_after_its_period() -> None:
    p = reserved()
    events = p.expire_reservation(NOW + timedelta(days=30))
    assert [type(e) for e in events] == [ReservationExpired]
    assert p.state == "expired"
    assert p.expire_reservation(NOW + timedelta(days=31)) == []


def test_an_issued_permit_never_lapses_as_a_reservation() -> None:
    assert issued().expire_reservation(NOW + timedelta(days=365)) == []


# -- officers -----------------------------------------------------------------------------


def in_review() -> WorkPermit:
    return permit(ASSESSED, ReviewRequired(reasons=(), missing_documents=()))


def test_an_officer_approval_reserves_a_permit_in_review() -> None:
    p = in_review()
    events = p.record_officer_decision("approve", "officer-1", "", POLICIES, NOW, NUMBER)
    assert tuple(type(e) for e in events) == (OfficerDecisionRecorded, Reserved)
    assert events[1] == RESERVED
    assert (p.state, p.permit_number, p.valid_until) == ("reserved", NUMBER, VALID_UNTIL)


def test_an_officer_approval_needs_an_allocated_number_and_changes_nothing_without_one() -> None:
    p = in_review()
    with pytest.raises(PermitNumberNeeded):
        p.record_officer_decision("approve", "officer-1", "", POLICIES, NOW)
    assert (p.state, p.permit_number) == ("review_required", None)


def test_an_officer_refusal_refuses_with_the_officers_words() -> None:
    events = in_review().record_officer_decision(
        "refuse", "officer-1", "Forged degree.", POLICIES, NOW
    )
    refused = events[-1]
    assert isinstance(refused, Refused)
    assert [(r.code, r.detail) for r in refused.reasons] == [
        ("refused_by_officer", "Forged degree.")
    ]


def test_an_officer_decision_outside_review_changes_nothing() -> None:
    assert reserved().record_officer_decision("refuse", "o", "", POLICIES, NOW) == []


# -- extension ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested_on", "inside"),
    [
        pytest.param(
            VALID_UNTIL - timedelta(days=91), False, id="91 days before expiry is too early"
        ),
        pytest.param(VALID_UNTIL - timedelta(days=90), True, id="90 days before expiry is inside"),
        pytest.param(VALID_UNTIL - timedelta(days=30), True, id="30 days before expiry is inside"),
        pytest.param(
            VALID_UNTIL - timedelta(days=29), False, id="29 days before expiry is too late"
        ),
        pytest.param(VALID_UNTIL + timedelta(days=1), False, id="after expiry is too late"),
    ],
)
def test_the_extension_window(requested_on: date, inside: bool) -> None:
    events = issued().extend("ext-1", NUMBER, date(2031, 4, 30), requested_on, POLICIES)
    assert isinstance(events[0], Extended) is inside
    if not inside:
        refused = events[0]
        assert isinstance(refused, ExtensionRefused)
        (reason,) = refused.reasons
        assert reason.code == "outside_extension_window"
        assert reason.params["window_opens"] == "2029-01-30"
        assert reason.params["window_closes"] == "2029-03-31"
        assert "2029-01-30" in (reason.detail or "")


@pytest.mark.parametrize(
    ("contract_end", "passport", "valid_until"),
    [
        pytest.param(
            date(2031, 4, 30),
            date(2040, 1, 1),
            date(2031, 4, 30),
            id="an extension runs to the new contract end",
        ),
        pytest.param(
            date(2031, 4, 30),
            date(2030, 6, 30),
            date(2030, 6, 30),
            id="an extension stops at the passport expiry",
        ),
        pytest.param(
            date(2040, 1, 1),
            date(2045, 1, 1),
            date(2034, 4, 30),
            id="an extension is at most five years from the current expiry",
        ),
    ],
)
def test_extended_validity(contract_end: date, passport: date, valid_until: date) -> None:
    p = issued(passport=passport)
    events = p.extend("ext-1", NUMBER, contract_end, date(2029, 3, 1), POLICIES)
    assert events == [
        Extended(
            extension_id="ext-1",
            permit_number=NUMBER,
            contract_end=contract_end,
            previous_valid_until=VALID_UNTIL,
            valid_until=valid_until,
        )
    ]
    assert p.valid_until == valid_until


def test_the_same_extension_is_decided_once() -> None:
    p = issued()
    p.extend("ext-1", NUMBER, date(2031, 4, 30), date(2029, 3, 1), POLICIES)
    assert p.extend("ext-1", NUMBER, date(2032, 4, 30), date(2029, 3, 1), POLICIES) == []


@pytest.mark.parametrize(
    ("p", "number", "contract_end", "code"),
    [
        pytest.param(
            reserved(),
            NUMBER,
            date(2031, 4, 30),
            "document_not_found",
            id="a permit not yet issued cannot be extended",
        ),
        pytest.param(
            issued(),
            "WP-2026-999999",
            date(2031, 4, 30),
            "document_not_found",
            id="a number that is not this permit's is not found",
        ),
        pytest.param(
            issued(passport=VALID_UNTIL),
            NUMBER,
            date(2031, 4, 30),
            "passport_validity_too_short",
            id="a passport ending with the permit leaves nothing to extend",
        ),
        pytest.param(
            issued(),
            NUMBER,
            VALID_UNTIL,
            "document_missing",
            id="a contract that ends no later than the permit leaves nothing to extend",
        ),
    ],
)
def test_extension_refusal(p: WorkPermit, number: str, contract_end: date, code: str) -> None:
    (refused,) = p.extend("ext-1", number, contract_end, date(2029, 3, 1), POLICIES)
    assert isinstance(refused, ExtensionRefused)
    assert [r.code for r in refused.reasons] == [code]


# -- an extension undone ------------------------------------------------------------------

EXTENDED_UNTIL = date(2031, 4, 30)


def extended() -> WorkPermit:
    p = issued()
    p.extend("ext-1", NUMBER, EXTENDED_UNTIL, date(2029, 3, 1), POLICIES)
    return p


def test_an_extension_undone_restores_the_validity_before_it() -> None:
    p = extended()
    assert p.valid_until == EXTENDED_UNTIL
    events = p.revert_extension("ext-1", NUMBER, "counterpart_refused")
    assert events == [
        ExtensionReverted(
            extension_id="ext-1",
            permit_number=NUMBER,
            restored_valid_until=VALID_UNTIL,
            reason="counterpart_refused",
        )
    ]
    assert p.valid_until == VALID_UNTIL


def test_an_extension_undone_twice_is_answered_the_same_and_changes_nothing_more() -> None:
    p = extended()
    first = p.revert_extension("ext-1", NUMBER, "counterpart_refused")
    assert p.revert_extension("ext-1", NUMBER, "counterpart_refused") == first
    assert p.valid_until == VALID_UNTIL


def test_an_undo_repeated_after_a_later_extension_keeps_that_extension() -> None:
    p = issued()
    recorded: list[DomainEvent] = [ASSESSED, RESERVED, ISSUED]
    recorded += p.extend("ext-1", NUMBER, EXTENDED_UNTIL, date(2029, 3, 1), POLICIES)
    first = p.revert_extension("ext-1", NUMBER, "counterpart_refused")
    recorded += first
    recorded += p.extend("ext-2", NUMBER, EXTENDED_UNTIL, date(2029, 3, 2), POLICIES)
    assert p.valid_until == EXTENDED_UNTIL
    again = p.revert_extension("ext-1", NUMBER, "counterpart_refused")
    recorded += again
    assert again == first  # the repeat gets the same answer
    assert p.valid_until == EXTENDED_UNTIL
    assert permit(*recorded).valid_until == EXTENDED_UNTIL


def test_an_extension_that_never_took_effect_is_answered_with_the_validity_as_it_stands() -> None:
    p = issued()
    (reverted,) = p.revert_extension("ext-9", NUMBER, "counterpart_refused")
    assert isinstance(reverted, ExtensionReverted)
    assert reverted.restored_valid_until == VALID_UNTIL == p.valid_until


def test_nothing_answers_an_extension_undone_where_no_permit_was_issued() -> None:
    assert permit().revert_extension("ext-1", NUMBER, "counterpart_refused") == []
