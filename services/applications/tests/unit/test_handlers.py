"""The saga's handlers over the in-memory event store and case index: what a message
makes the saga store, send and index, and that a redelivery changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from onewindow.applications.adapters.case_index import MemoryCaseIndex
from onewindow.applications.application.handlers import Saga, case_stream, load_case
from onewindow.applications.entrypoints.deadlines import fire_due_timers
from onewindow.contracts.envelope import Envelope, deterministic_id, new_envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit as rp
from onewindow.contracts.v1 import work_permit as wp
from onewindow.contracts.v1.applications import Actor, SubmitApplication
from onewindow.contracts.v1.common import Employer
from onewindow.runtime.calendar import default_calendar
from onewindow.runtime.clock import ManualClock
from onewindow.runtime.memory import MemoryEventStore

from .stories import form

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday, 09:00 in Shanghai
CASE = "case-7"


def wired() -> tuple[Saga, MemoryEventStore, MemoryCaseIndex, ManualClock]:
    clock, calendar = ManualClock(NOW), default_calendar()
    store, index = MemoryEventStore(clock=clock), MemoryCaseIndex(clock=clock, calendar=calendar)
    return Saga(store=store, index=index, clock=clock, calendar=calendar), store, index, clock


def envelope(message: Message) -> Envelope:
    return new_envelope(message.TYPE, source="test", correlation_id=CASE)


SUBMIT = SubmitApplication(
    application_id=CASE,
    submitted_by=Actor(sub="anna", role="applicant"),
    submitted_at=NOW,
    form=form(),
)


async def test_a_submission_opens_the_case_asks_identity_and_is_indexed_with_its_timer() -> None:
    saga, store, index, _ = wired()
    cause = envelope(SUBMIT)
    await saga.on_message(SUBMIT, cause)

    [verify] = store.sent(idm.VerifyIdentity)
    assert verify.application_id == CASE
    [received] = store.sent(app.ApplicationReceived)
    assert received.deadline.due_on == date(2026, 3, 11)  # 7 working days
    entry = index.cases[CASE]
    assert (entry["status"], entry["open"], entry["timer_action"]) == (
        "verifying_identity",
        True,
        "resend",
    )
    assert entry["timer_due"] == NOW + timedelta(hours=1)

    await saga.on_message(SUBMIT, cause)  # redelivered
    assert len(store.sent(idm.VerifyIdentity)) == 1


async def test_identity_verified_sends_both_assessments_with_ids_named_by_the_case() -> None:
    saga, store, _, _ = wired()
    await saga.on_message(SUBMIT, envelope(SUBMIT))
    verified = idm.IdentityVerified(
        application_id=CASE,
        person_ref="P-1",
        employer=Employer(
            uscc="91310104MA1FL5KX1N", name="ACME", licence_valid_until=date(2030, 1, 1)
        ),
        documents=(),
    )
    verified_envelope = envelope(verified)
    await saga.on_message(verified, verified_envelope)
    assert [type(m) for m in store.sent() if not isinstance(m, app.ApplicationsEvent)] == [
        idm.VerifyIdentity,
        wp.AssessWorkPermit,
        rp.AssessResidencePermit,
    ]
    # A command's id names the case and what it asks: a resend reuses it.
    [first] = store.envelopes(wp.AssessWorkPermit)
    assert first.id == deterministic_id(f"saga:{CASE}", "assess-work-1")
    assert first.causation_id == verified_envelope.id


async def test_a_silent_identity_gets_the_same_command_again_from_the_timer_sweep() -> None:
    saga, store, _, clock = wired()
    await saga.on_message(SUBMIT, envelope(SUBMIT))
    [first] = store.envelopes(idm.VerifyIdentity)
    assert await fire_due_timers(saga) == 0
    clock.advance(timedelta(minutes=61))
    assert await fire_due_timers(saga) == 1
    again = store.envelopes(idm.VerifyIdentity)
    assert [e.id for e in again] == [first.id, first.id]
    assert await fire_due_timers(saga) == 0  # the next resend is an hour later


async def test_a_case_replayed_from_its_stream_keeps_the_timer_of_the_case_that_decided() -> None:
    clock, calendar = ManualClock(NOW), default_calendar()
    # The store's clock runs a second behind the saga's decision, as a commit is
    # recorded a moment after the case decided.
    store = MemoryEventStore(clock=ManualClock(NOW + timedelta(seconds=1)))
    index = MemoryCaseIndex(clock=clock, calendar=calendar)
    saga = Saga(store=store, index=index, clock=clock, calendar=calendar)
    await saga.on_message(SUBMIT, envelope(SUBMIT))
    replayed = load_case(await store.load(case_stream(CASE)))
    timer = replayed.next_timer(calendar)
    assert timer is not None
    assert timer.due == index.cases[CASE]["timer_due"] == NOW + timedelta(hours=1)
