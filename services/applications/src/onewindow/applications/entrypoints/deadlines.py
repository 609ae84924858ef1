"""The saga's timers: every waiting case's own timer, and the statutory clock.

A case's next timer (`Case.next_timer`: a reminder, a refusal for no response, an
escalation, a resend) is written to the case index with every step, so the timers
survive restarts; each firing's id derives from the case and the timer's due moment, so
two replicas or a rerun act once. The statutory clock escalates open cases whose due
date has passed, likewise once per due date.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import date, datetime

from onewindow.applications.adapters.case_index import Due
from onewindow.applications.application.handlers import SOURCE, Saga
from onewindow.applications.domain.case import Case, Step
from onewindow.contracts.envelope import Envelope, deterministic_id, new_envelope
from onewindow.runtime.clock import local_today
from onewindow.runtime.outages import tick_failed

log = logging.getLogger(__name__)
DEADLINE_CHECK = "onewindow.applications.DeadlineCheck.v1"
TIMER_FIRED = "onewindow.applications.TimerFired.v1"
TIMERS_PER_SWEEP = 500


async def fire_due_timers(saga: Saga) -> int:
    """Act on every open case and extension whose timer is due; return how many fired."""
    now = saga.clock.now()
    fired = 0
    for due in await saga.index.due_cases(now, TIMERS_PER_SWEEP):
        await saga.on_case(
            due.id,
            _timer(due),
            lambda case: case.timer_fired(now=now, calendar=saga.calendar),
        )
        fired += 1
    for due in await saga.index.due_extensions(now, TIMERS_PER_SWEEP):
        await saga.on_extension_timer(due.id, _timer(due), now)
        fired += 1
    return fired


def _timer(due: Due) -> Envelope:
    """The cause of a timer's firing: its id names the case and the timer, so two
    replicas or a rerun act on it once."""
    return new_envelope(
        TIMER_FIRED,
        source=SOURCE,
        correlation_id=due.id,
        id=deterministic_id(due.id, f"timer:{due.action}@{due.due}"),
    )


async def escalate_missed_deadlines(saga: Saga) -> int:
    """Escalate every open, running case past its due date; return how many were checked."""
    today = local_today(saga.clock)
    checked = 0
    for application_id, due_on in await saga.index.past_due(today):
        cause = new_envelope(
            DEADLINE_CHECK,
            source=SOURCE,
            correlation_id=application_id,
            id=deterministic_id(application_id, f"deadline:{due_on}"),
        )
        await saga.on_case(application_id, cause, _deadline_check(today, saga.clock.now()))
        checked += 1
    return checked


def _deadline_check(today: date, now: datetime) -> Callable[[Case], Step]:
    return lambda case: case.deadline_passed(today=today, at=now)


async def run_deadline_timer(saga: Saga, interval_s: float) -> None:
    """Fire due timers and check deadlines every `interval_s` seconds, forever."""
    while True:
        tried_at = time.monotonic()
        try:
            if fired := await fire_due_timers(saga):
                log.info("timers fired", extra={"cases": fired})
            if escalated := await escalate_missed_deadlines(saga):
                log.info("deadlines checked", extra={"cases": escalated})
        except Exception as error:
            tick_failed(error, "the timer sweep", tried_at=tried_at)
        await asyncio.sleep(interval_s)
