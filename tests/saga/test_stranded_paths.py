"""Every path that once left a person stranded, in simulated time, ends in a final state
where both permits are valid or neither is, identity's claim is released and the decision
went out once (DOMAIN.md "No case is ever stranded")."""

from __future__ import annotations

from datetime import date, timedelta

from onewindow.applications.domain import events as ev
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit as rpm
from onewindow.contracts.v1 import work_permit as wpm
from onewindow.contracts.v1.common import Employer
from onewindow.residence_permit.domain import events as rde

from .harness import CASE, City, Delivery


def started() -> City:
    city = City()
    city.submit()
    return city


def ended(city: City, status: str, valid: int) -> None:
    assert city.case.status == status, city.case.status
    assert city.valid_permits == valid
    assert city.claims_released == 1
    assert len(city.decisions()) == 1
    assert not any(city.channels.values())


def test_both_reserved_are_issued_together() -> None:
    city = started()
    city.settle()
    ended(city, "approved", 2)


def test_a_withdrawal_while_issuing_revokes_what_was_issued() -> None:
    city = started()
    city.deliver("identity")
    city.deliver("saga")  # verified: both assessments go out
    for channel in ("work", "residence", "saga", "saga", "saga", "saga"):
        city.deliver(channel)  # type: ignore[arg-type]
    assert city.case.status == "issuing"
    assert isinstance(city.channels["work"][0].message, wpm.IssueWorkPermit)
    assert isinstance(city.channels["residence"][0].message, rpm.IssueResidencePermit)
    city.withdraw()  # both issues are already on their way to the permit services
    city.settle()
    ended(city, "withdrawn", 0)
    assert city.work.state == "revoked"
    assert city.residence.state == "revoked"
    assert city.case.decided is not None
    assert city.case.decided.decided_by == "applicant"


def test_a_refusals_cancel_to_a_lapsed_reservation_is_answered() -> None:
    city = started()
    city.outcomes["residence"].append("officer")
    city.run()
    assert city.case.status == "awaiting_officer"
    city.advance(timedelta(days=31))  # the work permit's reservation lapses meanwhile
    city.run()
    assert city.work.state == "expired"
    city.officer("residence", "refuse")
    city.settle()
    ended(city, "refused", 0)
    assert sorted((r.code, r.side) for r in city.case.refusal_reasons()) == [
        ("counterpart_refused", "work"),
        ("refused_by_officer", "residence"),
    ]


def test_a_reservation_that_lapsed_while_documents_were_awaited_is_renewed_then_issued() -> None:
    city = started()
    city.outcomes["residence"].append("documents")
    city.run()
    assert city.case.status == "awaiting_documents"
    city.advance(timedelta(days=31))
    city.run()
    assert city.case.work.status == "lapsed"
    city.supply()
    city.settle()
    ended(city, "approved", 2)
    assert city.work.permit_number == city.case.work.number  # the same number, reserved anew


def test_a_residence_permit_that_cannot_be_issued_revokes_the_issued_work_permit() -> None:
    city = started()
    city.deliver("identity")
    city.deliver("saga")
    for channel in ("work", "residence", "saga", "saga", "saga", "saga", "work", "saga", "saga"):
        city.deliver(channel)  # type: ignore[arg-type]
    assert city.work.state == "issued"
    assert isinstance(city.channels["residence"][0].message, rpm.IssueResidencePermit)
    # An operator released the residence reservation by hand in the meantime.
    city.residence.apply(
        rde.ReservationCancelled(permit_number=None, reason="counterpart_refused",
                                 cancelled_at=city.now)
    )  # fmt: skip
    city.settle()
    ended(city, "refused", 0)
    assert city.work.state == "revoked"
    codes = [(r.code, r.side) for r in city.case.refusal_reasons()]
    assert ("permit_revoked", "work") in codes


def test_an_unanswered_request_for_documents_is_reminded_then_refused_for_no_response() -> None:
    city = started()
    city.outcomes["work"].append("documents")
    city.settle()
    ended(city, "refused", 0)
    requested = [n for n in city.notices if isinstance(n, app.DocumentsRequested)]
    assert len(requested) == 2  # the request, and its reminder after 10 working days
    assert [r.code for r in city.case.refusal_reasons()] == ["no_response"]
    assert city.residence.state == "cancelled"


def test_an_officer_who_does_not_decide_is_escalated_every_three_working_days() -> None:
    city = started()
    city.outcomes["work"].append("officer")
    city.run()
    for _ in range(15):  # 15 days from Monday 2 March: 11 working days, a day at a time
        city.advance(timedelta(days=1))
    escalations = [n for n in city.notices if isinstance(n, app.DeadlineEscalated)]
    # after 3, 6 and 9 working days: Thursday 5, Tuesday 10 and Friday 13 March
    assert [e.due_on.day for e in escalations] == [5, 10, 13]
    city.officer("work", "approve")
    city.settle()
    ended(city, "approved", 2)


def test_a_silent_service_gets_the_same_command_again_and_operators_are_told() -> None:
    city = started()
    city.deliver("identity")
    city.deliver("saga")
    lost = city.channels["residence"].popleft()  # the residence service never saw it
    city.run()
    assert city.case.status == "assessing"
    city.advance(timedelta(minutes=61))
    [resent] = city.channels["residence"]
    assert resent.id == lost.id  # the same id: a receiver that had it would ignore it
    city.channels["residence"].clear()  # still silent: a day passes
    for _ in range(24):
        city.advance(timedelta(hours=1))
    assert any(isinstance(n, app.DeadlineEscalated) for n in city.notices)
    city.settle()
    ended(city, "approved", 2)


def test_a_redelivered_answer_changes_nothing() -> None:
    city = started()
    city.deliver("identity")
    city.deliver("saga")
    city.deliver("work")
    city.deliver("saga")
    city.deliver("saga")  # the work permit's reservation
    before = (city.case.status, city.case.work.status)
    assert city.deliver("saga", again=True)
    assert (city.case.status, city.case.work.status) == before
    city.settle()
    ended(city, "approved", 2)


def test_a_case_decided_keeps_no_claim_on_the_person_on_any_path() -> None:
    for outcome in ("reserve", "refuse", "documents", "officer"):
        city = started()
        city.outcomes["work"].append(outcome)  # type: ignore[arg-type]
        city.settle(officer="refuse")
        assert city.claims_released == 1, outcome
        assert city.valid_permits in (0, 2), outcome
        assert not isinstance(city.case.decided, ev.CaseDecided) or city.case.decided.outcome


def test_every_reason_the_saga_gives_and_every_decision_name_their_legal_basis() -> None:
    city = started()
    city.outcomes["work"].append("documents")
    city.settle()
    [refused] = city.decisions()
    assert all(r.legal_basis is not None for r in city.case.refusal_reasons())
    assert refused.legal_basis is not None  # type: ignore[attr-defined]
    assert refused.legal_basis.article == "§6.2"  # type: ignore[attr-defined]


def flagged_again(city: City) -> None:
    """Identity answers once more for the verified case: another, verified applicant took
    the person's claim, so this case is flagged for an officer."""
    answer = idm.IdentityVerified(
        application_id=CASE,
        person_ref="P-1",
        employer=Employer(
            uscc="91310104MA1FL5KX1N", name="ACME", licence_valid_until=date(2030, 1, 1)
        ),
        documents=(),
        flags=("unverified_applicant",),
    )
    city.channels["saga"].append(Delivery("identity-again", answer))


def test_a_case_flagged_after_verification_waits_for_an_officer_who_may_refuse_it() -> None:
    city = started()
    city.outcomes["residence"].append("documents")
    city.run()
    assert city.case.status == "awaiting_documents"
    flagged_again(city)
    city.run()
    assert city.case.status == "awaiting_officer"  # not masked by the supplement request
    reviews = [n for n in city.notices if isinstance(n, app.OfficerReviewRequested)]
    assert [r.code for r in reviews[-1].reasons] == ["unverified_applicant"]
    city.officer("work", "refuse")
    city.settle()
    ended(city, "refused", 0)
    assert "refused_by_officer" in [r.code for r in city.case.refusal_reasons()]


def test_a_held_case_issues_nothing_until_an_officer_approves() -> None:
    city = started()
    city.outcomes["work"].append("officer")
    city.run()
    flagged_again(city)
    city.run()
    city.officer("work", "approve")  # the work permit's own review, with the hold
    city.run()
    assert city.case.status in ("assessing", "issuing", "approved")
    city.settle()
    ended(city, "approved", 2)
