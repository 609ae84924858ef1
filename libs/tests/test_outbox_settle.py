"""A stopping process waits for its relays to publish and mark what its last batches
appended (`outbox.settle`), for as long as that takes and at most its budget, instead of
a fixed pause. No servers needed: a store and a broker that answer at once (or never)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from faststream.kafka import KafkaBroker

from onewindow.runtime import outbox
from onewindow.runtime.eventstore import EventStore, OutboxEntry, PendingCommit
from onewindow.runtime.outages import Outages


class Store:
    """What the relay asks of an event store, in memory."""

    def __init__(self) -> None:
        self.watchers: list[Callable[[PendingCommit], None]] = []
        self.marked: list[PendingCommit] = []

    def watch(self, callback: Callable[[PendingCommit], None]) -> None:
        self.watchers.append(callback)

    async def pending(self, limit: int) -> list[PendingCommit]:
        return []

    async def pending_commit(self, stream: str, version: int) -> PendingCommit | None:
        return None

    async def mark_sent(self, commits: Sequence[PendingCommit]) -> None:
        self.marked += commits

    def append(self, commit: PendingCommit) -> None:
        for watcher in self.watchers:
            watcher(commit)


class Broker:
    """Acknowledges every publish at once, or never (`answers=False`)."""

    def __init__(self, *, answers: bool = True) -> None:
        self.answers = answers
        self.sent: list[bytes] = []

    async def publish(self, body: bytes, *_: Any, **__: Any) -> asyncio.Future[None]:
        self.sent.append(body)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.answers:
            future.set_result(None)
        return future


def commit(stream: str = "case-1", version: int = 1) -> PendingCommit:
    entry = OutboxEntry(
        id=f"{stream}-{version}",
        topic="applications.events",
        key=stream,
        type="onewindow.test.Happened.v1",
        payload="{}",
        headers={},
    )
    return PendingCommit(id=entry.id, stream=stream, version=version, outbox=(entry,))


async def settled_after(store: Store, broker: Broker, budget_s: float) -> float:
    relay = outbox.OutboxRelay(
        cast(EventStore, store), cast(KafkaBroker, broker), outages=Outages()
    )
    running = asyncio.create_task(relay.run())
    try:
        while not relay.idle:  # noqa: ASYNC110 - the relay's own loop sets it
            await asyncio.sleep(0.01)
        store.append(commit())
        began = time.monotonic()
        await outbox.settle(budget_s)
        return time.monotonic() - began
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


def test_a_stop_waits_only_until_the_last_appends_are_published_and_marked() -> None:
    store, broker = Store(), Broker()
    took = asyncio.run(settled_after(store, broker, budget_s=1.0))
    assert broker.sent == [b"{}"]
    assert [c.id for c in store.marked] == ["case-1-1"]
    # Marked at once, not after the relay's usual MARK_DELAY_S of batching marks.
    assert took < outbox.MARK_DELAY_S


def test_a_relay_that_cannot_publish_is_waited_for_no_longer_than_the_budget() -> None:
    store, broker = Store(), Broker(answers=False)

    async def run() -> float:
        try:
            return await asyncio.wait_for(settled_after(store, broker, budget_s=0.3), 5)
        except TimeoutError:
            return float("inf")

    took = asyncio.run(run())
    assert 0.3 <= took < 1.0
    assert store.marked == []


def test_no_relay_no_wait() -> None:
    began = time.monotonic()
    asyncio.run(outbox.settle(1.0))
    assert time.monotonic() - began < 0.1


def test_a_relay_cancelled_right_after_settle_woke_it_stops() -> None:
    """`settle` wakes an idle relay; the host cancels it at once. On Python 3.11,
    `asyncio.wait_for` turned that cancellation into a normal return and the relay ran
    on, so the stopping service never exited."""

    async def run() -> bool:
        relay = outbox.OutboxRelay(
            cast(EventStore, Store()), cast(KafkaBroker, Broker()), outages=Outages()
        )
        running = asyncio.create_task(relay.run())
        while not relay.idle:  # noqa: ASYNC110 - the relay's own loop sets it
            await asyncio.sleep(0.01)
        for _ in range(20):  # woken and cancelled in the same turn of the loop
            relay.settling()
            await outbox.settle(1.0)
            if running.done():
                break
        running.cancel()
        done, _ = await asyncio.wait({running}, timeout=2)
        return running in done

    assert asyncio.run(run())
