"""The event store and idempotent handling, on the real MongoDB-protocol database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts.envelope import deterministic_id, new_envelope
from onewindow.contracts.v1.identity import CloseCase
from onewindow.runtime.clock import ManualClock
from onewindow.runtime.eventstore import ConcurrencyConflict, EventStore, Stream, outgoing
from onewindow.runtime.handling import Decision, handle

pytestmark = pytest.mark.integration

WRITERS = 20


class NoteTaken(BaseModel):
    writer: int


class CaseOpened(BaseModel):
    application_id: str


@pytest.fixture(scope="module")
def db(module_db: AsyncDatabase[dict[str, Any]]) -> AsyncDatabase[dict[str, Any]]:
    """This module's database in the session's namespace, dropped afterwards."""
    return module_db


def _stream(stream: Stream) -> Stream:
    """The aggregate of these tests: the stream itself."""
    return stream


@pytest.fixture
async def store(db: AsyncDatabase[dict[str, Any]]) -> EventStore:
    created = EventStore(db, collection=f"commits_{uuid.uuid4().hex[:8]}")
    await created.ensure_indexes()
    return created


async def test_a_stream_reads_back_what_was_appended(db: AsyncDatabase[dict[str, Any]]) -> None:
    clock = ManualClock(datetime(2026, 10, 8, 9, 0, tzinfo=UTC))
    store = EventStore(db, collection=f"commits_{uuid.uuid4().hex[:8]}", clock=clock)
    await store.ensure_indexes()

    assert await store.append("case-1", 0, [CaseOpened(application_id="app-1")]) == 1
    assert await store.append("case-1", 1, [NoteTaken(writer=7)], handled_message_id="m-1") == 2
    loaded = await store.load("case-1")

    assert loaded.version == 2
    assert [(e.type, e.data, e.version) for e in loaded.events] == [
        ("CaseOpened", {"application_id": "app-1"}, 1),
        ("NoteTaken", {"writer": 7}, 2),
    ]
    assert loaded.handled == {"m-1"}
    assert loaded.events[0].recorded_at == clock.now()
    assert (await store.load("case-2")).version == 0


async def test_twenty_writers_at_one_version_one_wins_then_retries_make_twenty(
    store: EventStore,
) -> None:
    async def first_try(writer: int) -> int | ConcurrencyConflict:
        try:
            return await store.append(
                "case-1", 0, [NoteTaken(writer=writer)], handled_message_id=f"m-{writer}"
            )
        except ConcurrencyConflict as conflict:
            return conflict

    results = await asyncio.gather(*(first_try(writer) for writer in range(WRITERS)))

    assert results.count(1) == 1
    conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(conflicts) == WRITERS - 1
    assert all(c.stream == "case-1" and c.expected_version == 0 for c in conflicts)

    losers = [writer for writer, result in enumerate(results) if result != 1]

    def note(writer: int) -> Callable[[Stream], Decision]:
        return lambda _stream: Decision(events=[NoteTaken(writer=writer)])

    retried = await asyncio.gather(
        *(handle(store, "case-1", f"m-{writer}", _stream, note(writer)) for writer in losers)
    )
    stream = await store.load("case-1")

    assert all(handled.first_time for handled in retried)
    assert sorted(handled.version for handled in retried) == list(range(2, WRITERS + 1))
    assert stream.version == WRITERS
    assert [event.version for event in stream.events] == list(range(1, WRITERS + 1))
    assert sorted(event.data["writer"] for event in stream.events) == list(range(WRITERS))
    assert stream.handled == {f"m-{writer}" for writer in range(WRITERS)}


async def test_a_redelivered_message_changes_nothing(store: EventStore) -> None:
    cause = new_envelope("onewindow.test.Cause.v1", source="test", correlation_id="app-9")
    decided: list[int] = []

    def decide(stream: Stream) -> Decision:
        decided.append(stream.version)
        close = CloseCase(application_id="app-9", outcome="approved")
        return Decision(
            events=[NoteTaken(writer=1)],
            outbox=[outgoing(close, key="app-9", correlation_id="app-9", source="t", cause=cause)],
        )

    first = await handle(store, "case-9", cause.id, _stream, decide)
    before = await store.load("case-9")
    pending_before = await store.pending(100)
    again = await handle(store, "case-9", cause.id, _stream, decide)
    after = await store.load("case-9")

    assert (first.first_time, again.first_time) == (True, False)
    assert (first.version, again.version) == (1, 1)
    assert again.decision is None
    assert again.state.handled == {cause.id}
    assert decided == [0]
    assert after == before
    assert await store.pending(100) == pending_before
    assert len(pending_before) == 1


class _CountedLoads(EventStore):
    """The real event store, recording each stream it reads from the database."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, collection: str) -> None:
        super().__init__(db, collection=collection)
        self.reads: list[str] = []

    async def load(self, stream: str) -> Stream:
        self.reads.append(stream)
        return await super().load(stream)


async def test_a_message_that_opens_its_stream_reads_nothing_and_a_redelivery_is_still_caught(
    db: AsyncDatabase[dict[str, Any]], store: EventStore
) -> None:
    counted = _CountedLoads(db, collection=store.commits.name)
    opened = await handle(
        counted, "case-5", "m-open", _stream, lambda _s: Decision([NoteTaken(writer=1)]), opens=True
    )
    assert (opened.first_time, opened.version, counted.reads) == (True, 1, [])

    # Another process (or this one after a restart) gets the same message again.
    restarted = EventStore(db, collection=store.commits.name)
    decided: list[int] = []

    def decide(stream: Stream) -> Decision:
        decided.append(stream.version)
        return Decision([NoteTaken(writer=2)])

    again = await handle(restarted, "case-5", "m-open", _stream, decide, opens=True)
    assert (again.first_time, again.version) == (False, 1)
    assert decided == [0]  # decided once on the empty stream; its commit conflicted
    stream = await restarted.load("case-5")
    assert (stream.version, [e.data for e in stream.events]) == (1, [{"writer": 1}])


async def test_an_empty_decision_still_records_the_message_as_handled(store: EventStore) -> None:
    assert (await handle(store, "case-3", "m-ignored", _stream, lambda _s: Decision())).first_time

    stream = await store.load("case-3")

    assert stream.version == 1
    assert stream.events == []
    assert stream.handled == {"m-ignored"}
    again = await handle(store, "case-3", "m-ignored", _stream, lambda _s: Decision())
    assert not again.first_time


async def test_a_decision_may_await_a_port_and_a_conflict_there_is_decided_again(
    store: EventStore,
) -> None:
    """The unit of work's decision may call ports (a permit number, another stream): a
    conflict one of them raises is retried like the commit's own, on a fresh aggregate,
    and the caller gets the aggregate the decision took."""
    await store.append("claim-1", 0, [NoteTaken(writer=0)])
    tries: list[int] = []

    async def decide(stream: Stream) -> Decision:
        tries.append(stream.version)
        claim = await store.load("claim-1")
        # The first try writes on a version another writer took meanwhile.
        expected = claim.version - 1 if len(tries) == 1 else claim.version
        await store.append("claim-1", expected, [NoteTaken(writer=len(tries))])
        return Decision(events=[NoteTaken(writer=len(tries))])

    handled = await handle(store, "case-4", "m-port", _stream, decide)

    assert tries == [0, 0]
    assert handled.first_time
    assert handled.version == 1
    assert handled.decision is not None
    assert len(handled.decision.events) == 1
    assert [e.data["writer"] for e in (await store.load("case-4")).events] == [2]
    assert (await store.load("claim-1")).version == 2


async def test_outgoing_messages_wait_in_the_commit_with_deterministic_ids(
    store: EventStore,
) -> None:
    cause = new_envelope("onewindow.test.Cause.v1", source="test", correlation_id="app-4")
    close = CloseCase(application_id="app-4", outcome="withdrawn")
    item = outgoing(close, key="app-4", correlation_id="app-4", source="test", cause=cause)
    repeat = outgoing(close, key="app-4", correlation_id="app-4", source="test", cause=cause)

    await store.append("case-4", 0, [], [item])
    [pending] = await store.pending(100)

    assert item.envelope.id == repeat.envelope.id == deterministic_id(cause.id, CloseCase.TYPE)
    assert item.topic == "identity.commands"
    assert pending.stream == "case-4"
    assert pending.version == 1
    [entry] = pending.outbox
    assert entry.id == item.envelope.id
    assert entry.payload == close.model_dump_json()
    assert entry.headers["ce_causationid"] == cause.id
    assert entry.headers["ce_type"] == CloseCase.TYPE


async def test_a_commit_with_nothing_in_it_is_refused(store: EventStore) -> None:
    with pytest.raises(ValueError, match="needs events"):
        await store.append("case-5", 0, [])
