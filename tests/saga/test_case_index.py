"""The saga's case index against the real database: a redelivery after a crash between
the commit and the index write brings the index up to the stream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.applications.adapters.case_index import CaseIndex
from onewindow.applications.application.handlers import Saga
from onewindow.contracts.envelope import new_envelope
from onewindow.contracts.v1.applications import Actor, SubmitApplication
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime.calendar import default_calendar
from onewindow.runtime.clock import ManualClock
from onewindow.runtime.eventstore import EventStore

from .harness import form

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
async def db(infrastructure: Infrastructure) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infrastructure.mongodb_url)
    name = f"{infrastructure.namespace}_saga_index_{uuid.uuid4().hex[:6]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


def saga(db: AsyncDatabase[dict[str, Any]]) -> Saga:
    clock, calendar = ManualClock(NOW), default_calendar()
    index = CaseIndex(db, clock=clock, calendar=calendar)
    return Saga(store=EventStore(db, clock=clock), index=index, clock=clock, calendar=calendar)


async def test_a_redelivery_repairs_an_index_entry_lost_in_a_crash(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    application_id = str(uuid.uuid4())
    command = SubmitApplication(
        application_id=application_id,
        submitted_by=Actor(sub="anna", role="applicant"),
        submitted_at=NOW,
        form=form(),
    )
    envelope = new_envelope(SubmitApplication.TYPE, source="test", correlation_id=application_id)
    await saga(db).on_message(command, envelope)
    written = await db.cases.find_one({"_id": application_id})
    assert written is not None
    assert written["status"] == "verifying_identity"
    assert written["timer_action"] == "resend"
    # The crash: the commit stood, the index write never happened.
    await db.cases.delete_one({"_id": application_id})

    await saga(db).on_message(command, envelope)  # a new process; the same message again

    repaired = await db.cases.find_one({"_id": application_id})
    assert repaired is not None
    assert {k: repaired[k] for k in ("status", "open", "version", "timer_action")} == {
        "status": "verifying_identity",
        "open": True,
        "version": written["version"],
        "timer_action": "resend",
    }
    assert repaired["due_on"] == date(2026, 3, 11).isoformat()
    stream = await EventStore(db).load(f"case-{application_id}")
    assert [e.type for e in stream.events] == ["applications.CaseOpened.v1"]  # nothing twice
