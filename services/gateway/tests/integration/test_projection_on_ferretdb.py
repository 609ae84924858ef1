"""The case view's projection on the real database: a batch's events of one case cost one
write, a batch delivered again changes nothing, and a write that failed is not lost."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import AutoReconnect

from onewindow.contracts.envelope import Envelope, new_envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1.applications import (
    Actor,
    ApplicationReceived,
    ApplicationStatusChanged,
    Contact,
    Deadline,
    Status,
)
from onewindow.gateway.readmodel.projection import VIEWS, Projection

pytestmark = pytest.mark.integration

AT = datetime(2027, 1, 4, 2, 30, tzinfo=UTC)


@pytest.fixture
def db(scratch_db: AsyncDatabase[dict[str, Any]]) -> AsyncDatabase[dict[str, Any]]:
    return scratch_db


class _CountedWrites:
    """The real views collection, counting its updates; `failing` makes the next ones
    fail as a database gone away would."""

    def __init__(self, views: Any) -> None:
        self._views, self.updates, self.failing, self.reads = views, 0, 0, 0

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return await self._views.find_one(*args, **kwargs)

    async def update_one(self, *args: Any, **kwargs: Any) -> Any:
        if self.failing:
            self.failing -= 1
            raise AutoReconnect("the database went away")
        self.updates += 1
        return await self._views.update_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._views, name)


def received(case: str) -> tuple[Message, Envelope]:
    message = ApplicationReceived(
        application_id=case,
        submitted_at=AT,
        channel="online",
        submitted_by=Actor(sub="anna", role="applicant"),
        employer_uscc="91310104MA1FL5KX1N",
        contact=Contact(email="anna@example.org"),
        deadline=Deadline(due_on=date(2027, 1, 13), clock="running"),
    )
    return message, new_envelope(message.TYPE, source="test", correlation_id=case)


def moved(case: str, status: Status) -> tuple[Message, Envelope]:
    message = ApplicationStatusChanged(
        application_id=case, status=status, at=AT, summary=f"now {status}"
    )
    return message, new_envelope(message.TYPE, source="test", correlation_id=case)


def counted(projection: Projection) -> _CountedWrites:
    writes = _CountedWrites(projection.views)
    # A counting proxy in front of the real collection (typed as the collection).
    projection.views = writes  # type: ignore[assignment]
    return writes


async def test_one_cases_events_of_one_batch_are_one_write_and_a_redelivery_changes_nothing(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    projection = Projection(db, deferred=True)
    writes = counted(projection)
    batch = [received("OW-1"), moved("OW-1", "verifying_identity"), moved("OW-2", "assessing")]
    for message, envelope in batch:
        await projection.apply(message, envelope)
    assert await db[VIEWS].find_one({"_id": "OW-1"}) is None  # staged until the batch ends
    await projection.flush()
    assert writes.updates == 2  # one per case
    view = await db[VIEWS].find_one({"_id": "OW-1"})
    assert view is not None
    assert view["status"] == "verifying_identity"
    assert view["version"] == 2
    assert [e["summary"] for e in view["timeline"]] == [
        "Application received; decision due on 2027-01-13",
        "now verifying_identity",
    ]
    # The same batch again (its offsets were not committed), in another process.
    again = Projection(db, deferred=True)
    for message, envelope in batch:
        await again.apply(message, envelope)
    await again.flush()
    assert await db[VIEWS].find_one({"_id": "OW-1"}) == view


async def test_a_write_that_failed_is_written_by_the_next_flush_once(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    projection = Projection(db, deferred=True)
    writes = counted(projection)
    first = received("OW-3")
    await projection.apply(*first)
    writes.failing = 1
    with pytest.raises(AutoReconnect):
        await projection.flush()
    # The batch is delivered again (its first event recognised) and goes on.
    await projection.apply(*first)
    await projection.apply(*moved("OW-3", "verifying_identity"))
    await projection.flush()
    view = await db[VIEWS].find_one({"_id": "OW-3"})
    assert view is not None
    assert view["version"] == 2
    assert len(view["timeline"]) == 2
    assert view["status"] == "verifying_identity"


async def test_a_restarted_projection_reads_no_view_to_apply_new_events_and_skips_held_ones(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    first = Projection(db, deferred=True)
    verifying = moved("OW-4", "verifying_identity")
    for message, envelope in (received("OW-4"), verifying):
        await first.apply(message, envelope)
    await first.flush()
    # Another process: a new case, and a batch that begins with an event already shown.
    restarted = Projection(db, deferred=True)
    writes = counted(restarted)
    await restarted.apply(*received("OW-5"))
    await restarted.flush()
    assert (writes.reads, writes.updates) == (0, 1)
    await restarted.apply(*verifying)
    await restarted.apply(*moved("OW-4", "assessing"))
    await restarted.flush()
    assert writes.reads == 1  # the view was read once, when the write found it held one
    view = await db[VIEWS].find_one({"_id": "OW-4"})
    assert view is not None
    assert (view["status"], view["version"]) == ("assessing", 3)
    assert [e["summary"] for e in view["timeline"]][1:] == [
        "now verifying_identity",
        "now assessing",
    ]
    # And the events it now remembers are not applied again.
    await restarted.apply(*verifying)
    await restarted.flush()
    assert (await db[VIEWS].find_one({"_id": "OW-4"}))["version"] == 3
