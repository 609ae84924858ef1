"""An extension, both or neither: the residence permit follows the work permit, and a
residence refusal undoes the work permit's extension (the real work-permit aggregate
decides the revert); an extension waiting on a silent service resends, then escalates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from onewindow.applications.domain.extension import Extension, ExtensionRequested
from onewindow.contracts.v1 import residence_permit as rpm
from onewindow.contracts.v1 import work_permit as wpm
from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import Classification, Reason
from onewindow.work_permit.domain import events as wde
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import published_policies

AT = datetime(2029, 1, 15, 2, 0, tzinfo=UTC)  # 75 days before the permit expires
NUMBER = "WP-2026-000007"
REQUESTED = ExtensionRequested(
    extension_id="ext-1",
    application_id="case-1",
    work_permit_number=NUMBER,
    contract_end=date(2031, 3, 31),
    requested_by=Actor(sub="anna", role="applicant"),
    requested_at=AT,
)


def issued_work_permit() -> WorkPermit:
    assessed = wde.Assessed(
        application_id="case-1", person_ref="P-1", application_date=date(2026, 3, 2),
        passport_expires_on=date(2033, 10, 31), contract_start=date(2026, 4, 1),
        contract_end=date(2029, 3, 31), employer_uscc="91310104MA1FL5KX1N",
        classification=Classification(category="A", points=95),
    )  # fmt: skip
    reserved = wde.Reserved(
        permit_number=NUMBER, valid_until=date(2029, 3, 31),
        reserved_until=AT, classification=assessed.classification,
    )  # fmt: skip
    issued = wde.Issued(permit_number=NUMBER, valid_until=date(2029, 3, 31), issued_at=AT)
    return WorkPermit.replay("case-1", [assessed, reserved, issued])


def test_a_residence_refusal_undoes_the_work_extension_before_the_refusal() -> None:
    permit = issued_work_permit()
    extension = Extension()
    [(extend, _)] = extension.start(REQUESTED).send
    assert isinstance(extend, wpm.ExtendWorkPermit)
    extended = permit.extend(
        "ext-1", NUMBER, extend.contract_end, extend.requested_on, published_policies()
    )
    assert [type(e) for e in extended] == [wde.Extended]
    permit.apply(extended[0])
    assert permit.valid_until == date(2031, 3, 31)
    [(follow, _)] = extension.work_extended(NUMBER, date(2031, 3, 31)).send
    assert isinstance(follow, rpm.ExtendResidencePermit)

    refusal = (Reason(code="passport_validity_too_short", side="residence"),)
    step = extension.refused(refusal, at=AT)
    [(revert, _)] = step.send
    assert isinstance(revert, wpm.RevertWorkPermitExtension)
    assert extension.closed is None  # not refused while the work permit stands extended
    [reverted] = permit.revert_extension("ext-1", NUMBER, revert.reason)
    permit.apply(reverted)
    assert permit.valid_until == date(2029, 3, 31)  # back to what it was
    assert permit.revert_extension("ext-1", NUMBER, revert.reason) == [reverted]  # answered again

    assert isinstance(reverted, wde.ExtensionReverted)
    extension.work_reverted(reverted.restored_valid_until, at=AT)
    assert extension.closed is not None
    assert extension.closed.outcome == "refused"
    assert extension.closed.reasons == refusal
    assert extension.work is None


def test_a_silent_service_gets_the_same_extension_command_again_then_operators_are_told() -> None:
    extension = Extension()
    [(_, first)] = extension.start(REQUESTED).send
    assert extension.timer_fired(now=AT + timedelta(minutes=59)).send == []
    [(_, again)] = extension.timer_fired(now=AT + timedelta(minutes=61)).send
    assert again == first  # the same discriminator: the same message id
    for hour in range(2, 25):
        extension.timer_fired(now=AT + timedelta(hours=hour, minutes=1))
    escalated = [type(e).__name__ for e in extension.history].count("ExtensionEscalated")
    assert escalated == 1
    assert extension.next_timer() is not None  # still waiting: still a timer
