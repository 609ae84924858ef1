"""The saga's joint decision, told as short stories (arrange, act, assert on state)."""

from __future__ import annotations

from datetime import date

from onewindow.applications.domain.case import Case, Step
from onewindow.applications.domain.events import IssueStarted, SideAssessed
from onewindow.contracts.v1 import identity, residence_permit, work_permit
from onewindow.contracts.v1.common import PermitSide, Reason

from .stories import CALENDAR, NOW, TODAY, assessing, submitted, verified


def sent_types(step_send: list[tuple[object, str]]) -> list[str]:
    return [type(message).__name__ for message, _ in step_send]


def test_a_submitted_case_asks_identity_first_and_its_clock_runs() -> None:
    case = submitted()
    assert case.status == "verifying_identity"
    assert case.clock == "running"
    assert case.due_on == date(2026, 3, 11)  # 7 working days after Monday 2 March


def test_a_verified_identity_starts_both_assessments_in_parallel() -> None:
    case = submitted()
    step = case.identity_verified(verified(case))
    assert sent_types(step.send) == ["AssessWorkPermit", "AssessResidencePermit"]
    assert case.status == "assessing"


def test_both_reserved_are_issued_together_then_one_approval_in_either_order() -> None:
    orders: tuple[tuple[PermitSide, PermitSide], ...] = (
        ("work", "residence"),
        ("residence", "work"),
    )
    for first, second in orders:
        case = assessing()
        case.side_reserved("work", "WP-1", date(2029, 3, 31), classification=None, at=NOW)
        step = case.side_reserved("residence", "RP-1", None, classification=None, at=NOW)
        assert case.status == "issuing"
        assert sent_types(step.send) == ["IssueWorkPermit", "IssueResidencePermit"]
        issue_residence = step.send[1][0]
        assert isinstance(issue_residence, residence_permit.IssueResidencePermit)
        # The work permit's reserved number and validity, which its issue keeps.
        assert issue_residence.work_permit_number == "WP-1"
        assert issue_residence.work_permit_valid_until == date(2029, 3, 31)
        numbers = {"work": "WP-1", "residence": "RP-1"}
        step = case.side_issued(first, numbers[first], date(2029, 3, 31), at=NOW)
        assert case.status == "issuing"
        assert step.send == []
        step = case.side_issued(second, numbers[second], date(2029, 3, 31), at=NOW)
        assert case.status == "approved"
        assert sent_types(step.send) == ["CloseCase"]


LATER = date(2029, 3, 31)


def test_a_case_stored_while_issuing_one_side_after_the_other_goes_on_the_old_way() -> None:
    old = assessing()
    old.apply(SideAssessed(side="work", outcome="reserved", number="WP-1", valid_until=LATER))
    old.apply(SideAssessed(side="residence", outcome="reserved", number="RP-1"))
    # As stored before both were issued at once: an `IssueStarted` naming no side.
    old.apply(IssueStarted(at=NOW, attempt=1))
    assert sent_types(old.outstanding()) == ["IssueWorkPermit"]
    step = old.side_issued("work", "WP-1", LATER, at=NOW)
    assert sent_types(step.send) == ["IssueResidencePermit"]
    assert [d for _, d in step.send] == ["issue-residence-2"]


def test_a_refusal_cancels_the_other_reservation_and_gathers_every_reason() -> None:
    case = assessing()
    case.side_reserved("work", "WP-1", date(2029, 3, 31), classification=None, at=NOW)
    step = case.side_refused(
        "residence", (Reason(code="health_certificate_too_old"),), classification=None, at=NOW
    )
    assert case.status == "compensating"
    cancel = step.send[0][0]
    assert isinstance(cancel, work_permit.CancelWorkPermitReservation)
    assert cancel.reason == "counterpart_refused"
    case.side_cancelled("work", "WP-1", at=NOW)
    assert case.status == "refused"
    assert [(r.code, r.side) for r in case.refusal_reasons()] == [
        ("counterpart_refused", "work"),
        ("health_certificate_too_old", "residence"),
    ]
    assert case.work.status == "cancelled"


def test_a_refusal_waits_for_the_other_assessment_to_gather_its_reasons_too() -> None:
    case = assessing()
    case.side_refused("work", (Reason(code="not_eligible_category"),), classification=None, at=NOW)
    assert case.status == "compensating"
    case.side_refused(
        "residence", (Reason(code="residence_registration_missing"),), classification=None, at=NOW
    )
    case.side_cancelled("residence", None, at=NOW)
    assert case.status == "refused"
    assert {r.code for r in case.refusal_reasons()} == {
        "not_eligible_category",
        "residence_registration_missing",
    }


def test_a_reservation_arriving_after_a_refusal_is_cancelled() -> None:
    case = assessing()
    case.side_refused("work", (Reason(code="passport_expired"),), classification=None, at=NOW)
    step = case.side_reserved("residence", "RP-9", None, classification=None, at=NOW)
    assert sent_types(step.send) == []  # its cancellation was already on the way
    assert case.residence.cancel_requested
    case.side_cancelled("residence", "RP-9", at=NOW)
    assert case.status == "refused"


def test_a_late_reservation_after_the_decision_is_cancelled() -> None:
    case = submitted()
    case.identity_rejected(
        identity.IdentityRejected(
            application_id="case-1",
            person_ref="P-1",
            reasons=(Reason(code="duplicate_application"),),
        ),
        at=NOW,
    )
    assert case.status == "refused"
    step = case.side_reserved("work", "WP-5", None, classification=None, at=NOW)
    assert sent_types(step.send) == ["CancelWorkPermitReservation"]


def test_withdrawal_before_the_decision_cancels_both_reservations() -> None:
    case = assessing()
    case.side_reserved("work", "WP-1", date(2029, 3, 31), classification=None, at=NOW)
    step = case.withdraw(at=NOW)
    assert sent_types(step.send) == [
        "CancelWorkPermitReservation",
        "CancelResidencePermitReservation",
    ]
    case.side_cancelled("work", "WP-1", at=NOW)
    assert case.status == "compensating"
    case.side_cancelled("residence", None, at=NOW)
    assert case.status == "withdrawn"


def test_a_missing_document_stops_the_clock_and_its_supply_moves_the_due_date() -> None:
    case = assessing()
    case.side_reserved("work", "WP-1", date(2029, 3, 31), classification=None, at=NOW)
    case.side_needs_review(
        "residence",
        (Reason(code="document_missing"),),
        ("health",),
        classification=None,
        today=TODAY,
        calendar=CALENDAR,
        respond_days=20,
    )
    assert case.status == "awaiting_documents"
    assert case.clock == "stopped"
    due_before = case.due_on
    step = case.documents_supplied((), today=date(2026, 3, 5), calendar=CALENDAR)
    assert case.due_on == CALENDAR.add_working_days(due_before or TODAY, 3)
    assert sent_types(step.send) == ["VerifyIdentity"]
    step = case.identity_verified(verified(case))
    assert sent_types(step.send) == ["AssessResidencePermit"]  # the reserved side stays


def watch_list_review(case: Case) -> None:
    """The work permit answers that a watch-list match needs an officer."""
    case.side_needs_review(
        "work",
        (Reason(code="watchlist_match"),),
        (),
        classification=None,
        today=TODAY,
        calendar=CALENDAR,
        respond_days=20,
    )


def olga_approves(case: Case) -> Step:
    return case.officer_decided(
        "work", "approve", "olga", "", (), today=TODAY, calendar=CALENDAR, respond_days=20
    )


def test_a_watch_list_review_waits_for_an_officer_whose_approval_continues() -> None:
    case = assessing()
    watch_list_review(case)
    assert case.status == "awaiting_officer"
    step = olga_approves(case)
    assert sent_types(step.send) == ["RecordWorkPermitOfficerDecision"]
    assert case.status == "assessing"
    case.side_reserved("work", "WP-1", date(2029, 3, 31), classification=None, at=NOW)
    case.side_reserved("residence", "RP-1", None, classification=None, at=NOW)
    assert case.status == "issuing"
    assert case.decided_by() == "officer:olga"


def test_a_missed_deadline_is_escalated_once_and_the_case_stays_open() -> None:
    case = assessing()
    late = date(2026, 3, 20)
    assert case.deadline_passed(today=late, at=NOW).events
    assert case.deadline_passed(today=late, at=NOW).events == []
    assert case.status == "assessing"


def test_replaying_the_stored_events_rebuilds_the_same_case() -> None:
    from onewindow.contracts.v1.applications import Actor, SubmitApplication

    from .stories import form

    case = Case()
    history = case.open(
        SubmitApplication(
            application_id="case-1",
            submitted_by=Actor(sub="a", role="applicant"),
            submitted_at=NOW,
            form=form(),
        ),
        due_on=date(2026, 3, 11),
    ).events
    history += case.identity_verified(verified(case)).events
    history += case.side_reserved(
        "work", "WP-1", date(2029, 3, 31), classification=None, at=NOW
    ).events
    rebuilt = Case.replay(history)
    assert rebuilt.status == case.status == "assessing"
    assert rebuilt.work == case.work
    assert rebuilt.due_on == case.due_on


def test_an_officer_decision_is_resent_under_the_id_it_was_first_sent_under() -> None:
    # A held case (the applicant's verified account displaced this one) whose work
    # permit also went to review: the officer's approval answers both, and a resend of
    # the decision must be the same message to the permit service, not a second one.
    case = submitted()
    case.identity_verified(verified(case).model_copy(update={"flags": ("unverified_applicant",)}))
    assert case.held
    watch_list_review(case)
    step = olga_approves(case)
    assert not case.held
    first = [d for m, d in step.send if isinstance(m, work_permit.RecordWorkPermitOfficerDecision)]
    resent = [
        d
        for m, d in case.outstanding()
        if isinstance(m, work_permit.RecordWorkPermitOfficerDecision)
    ]
    assert len(first) == 1
    assert resent == first
