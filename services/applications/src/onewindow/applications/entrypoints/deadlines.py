"""The statutory clock's timer: escalates open cases whose due date has passed.

Due dates live in the saga's stream and in the case index, so the timer survives
restarts; each escalation's id is derived from the case and its due date, so two
replicas or a rerun escalate a missed deadline once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime

from onewindow.applications.application.handlers import SOURCE, Saga
from onewindow.applications.domain.case import Case, Step
from onewindow.contracts.envelope import deterministic_id, new_envelope
from onewindow.runtime.clock import local_today

log = logging.getLogger(__name__)
DEADLINE_CHECK = "onewindow.applications.DeadlineCheck.v1"


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
    """Check deadlines every `interval_s` seconds, forever."""
    while True:
        try:
            if escalated := await escalate_missed_deadlines(saga):
                log.info("deadlines checked", extra={"cases": escalated})
        except Exception:
            log.exception("deadline check failed; retrying on the next tick")
        await asyncio.sleep(interval_s)
