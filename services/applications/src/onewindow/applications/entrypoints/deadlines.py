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

from onewindow.applications.application.handlers import SOURCE, Saga
from onewindow.applications.domain.case import Case, Step
from onewindow.contracts.envelope import deterministic_id, new_envelope
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
    query = {"open": True, "timer_due": {"$lte": now}}
    cases = saga.db.cases.find(query).sort("timer_due", 1).limit(TIMERS_PER_SWEEP)
    async for doc in cases:
        application_id = str(doc["_id"])
        due = doc["timer_due"]
        cause = new_envelope(
            TIMER_FIRED,
            source=SOURCE,
            correlation_id=application_id,
            id=deterministic_id(application_id, f"timer:{doc.get('timer_action')}@{due}"),
        )
        await saga.on_case(
            application_id,
            cause,
            lambda case: case.timer_fired(now=now, calendar=saga.calendar),
        )
        fired += 1
    extensions = saga.db.extensions.find(query).sort("timer_due", 1).limit(TIMERS_PER_SWEEP)
    async for doc in extensions:
        extension_id = str(doc["_id"])
        cause = new_envelope(
            TIMER_FIRED,
            source=SOURCE,
            correlation_id=extension_id,
            id=deterministic_id(
                extension_id, f"timer:{doc.get('timer_action')}@{doc['timer_due']}"
            ),
        )
        await saga.on_extension_timer(extension_id, cause, now)
        fired += 1
    return fired


async def escalate_missed_deadlines(saga: Saga) -> int:
    """Escalate every open, running case past its due date; return how many were checked."""
    today = local_today(saga.clock)
    checked = 0
    query = {"open": True, "clock": "running", "due_on": {"$lt": today.isoformat()}}
    async for doc in saga.db.cases.find(query):
        if doc.get("escalated_for") == doc["due_on"]:
            continue
        application_id = str(doc["_id"])
        cause = new_envelope(
            DEADLINE_CHECK,
            source=SOURCE,
            correlation_id=application_id,
            id=deterministic_id(application_id, f"deadline:{doc['due_on']}"),
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
