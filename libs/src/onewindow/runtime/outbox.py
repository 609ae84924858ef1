"""The outbox relay: publishes the messages of durable commits to Kafka, then marks them sent.

At least once, never lost: a commit is marked sent only after Kafka acknowledged every
entry (the broker's producer is `acks="all"` and idempotent), so a crash between
publish and mark publishes again on restart, and receivers drop the repeat by its id.
Each stream's commits go out in version order.

Two ways to find work. Commits appended through this relay's own `EventStore` are
handed over as they are written (no query at all); a full look for pending commits
(the commits whose outbox is flagged pending, an indexed look) runs at start, on
`wake()`, after a failure and every `rescan_interval` seconds, and finds what other
processes (or a crashed one) left behind. What the relay publishes as it comes is
marked sent in bulk, one database command for up to `MARK_BATCH` commits or every
`MARK_DELAY_S`: a crash in between publishes those again, which receivers ignore.

Nothing stops the relay: a failure is followed by a full look after a pause. When the
broker or the database does not answer (see `outages.unavailable`), the outage is logged
once when it begins and once when it ends, and the relay keeps trying after jittered,
growing pauses until it answers; any other failure is logged each time with its trace.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from onewindow.runtime import telemetry
from onewindow.runtime.eventstore import EventStore, OutboxEntry, PendingCommit
from onewindow.runtime.logs import message_context
from onewindow.runtime.outages import OUTAGES, Outages, unavailable

log = logging.getLogger(__name__)

# Streams whose last published version the relay remembers; beyond this it forgets
# them all and looks the predecessor up again, which is only slower.
REMEMBERED_STREAMS = 100_000
# Commits handed over but not yet relayed (a relay that is not running); beyond this
# they are dropped and the next full look finds them instead.
QUEUED_COMMITS = 10_000
MAX_FAILURE_BACKOFF_S = 5.0
# Published commits that wait to be marked sent together, and for how long at most.
MARK_BATCH = 200
MARK_DELAY_S = 2.0


class RelayFailed(RuntimeError):
    """Some outbox entries could not be published; their commits stay pending."""


# The relays running in this process (`OutboxRelay.run`), for `settle`.
_RUNNING: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()


async def settle(within_s: float, *, poll_s: float = 0.02) -> None:
    """Return once every relay running in this process has published and marked sent
    all it was handed (each asked to mark at once), or after `within_s`: what a stopping
    process waits for after its last batches, instead of a fixed pause."""
    deadline = time.monotonic() + within_s
    for relay in list(_RUNNING):
        relay.settling()
    # Polled: several relays' states, each changing inside its own loop.
    while time.monotonic() < deadline and not all(r.idle for r in list(_RUNNING)):  # noqa: ASYNC110
        await asyncio.sleep(poll_s)


class OutboxRelay:
    """Publishes every pending outbox entry of one event store with one broker."""

    def __init__(
        self,
        store: EventStore,
        broker: KafkaBroker,
        *,
        topic_prefix: str = "",
        poll_interval: float = 0.2,
        batch_size: int = 500,
        rescan_interval: float = 30.0,
        outages: Outages | None = None,
    ) -> None:
        """Relay `store`'s outbox to `broker`, on topics named `topic_prefix` + registry name.

        The relay follows `store`'s own appends by itself; `poll_interval` bounds how long
        it sleeps between checks, `batch_size` how many commits one full look takes, and
        `rescan_interval` how often it looks for commits that other processes left pending.
        Outages of the broker or the database are recorded in `outages` (by default the
        process's own record).
        """
        self._store = store
        self._broker = broker
        self._prefix = topic_prefix
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._rescan_interval = rescan_interval
        self._outages = outages or OUTAGES
        self._appended: list[PendingCommit] = []
        self._published_through: dict[str, int] = {}
        self._unmarked: list[PendingCommit] = []
        self._unmarked_since = 0.0
        self._rescan = True
        self._woken = asyncio.Event()
        self._waiting = False  # for work: nothing under way
        self._settling = False  # the process is stopping: mark what was published at once
        store.watch(self._note_appended)

    @property
    def idle(self) -> bool:
        """Waiting for work, not woken, with nothing handed over, unpublished or unmarked."""
        return (
            self._waiting
            and not self._woken.is_set()
            and not (self._appended or self._unmarked or self._rescan)
        )

    def settling(self) -> None:
        """Mark what was published at once from now on (the process is stopping)."""
        self._settling = True
        self._woken.set()

    def wake(self) -> None:
        """Look for pending commits now (a full look), e.g. after another process appended."""
        self._rescan = True
        self._woken.set()

    def _note_appended(self, commit: PendingCommit) -> None:
        if len(self._appended) >= QUEUED_COMMITS:
            self._appended.clear()
            self._rescan = True
        self._appended.append(commit)
        self._woken.set()

    async def run(self) -> None:
        """Relay forever: what this store appends as it comes, the rest by periodic looks."""
        _RUNNING.add(self)
        try:
            await self._run()
        finally:
            _RUNNING.discard(self)

    async def _run(self) -> None:
        failures = 0
        waited: set[str] = set()  # dependencies found away since the last full round
        next_scan = 0.0
        while True:
            tried_at = time.monotonic()
            try:
                if self._rescan or time.monotonic() >= next_scan:
                    self._rescan = False
                    await self._mark_deferred()  # a look must not find them again
                    await self.drain_once()
                    next_scan = time.monotonic() + self._rescan_interval
                await self._relay_appended()
                if self._unmarked and (
                    self._settling
                    or len(self._unmarked) >= MARK_BATCH
                    or time.monotonic() - self._unmarked_since >= MARK_DELAY_S
                ):
                    await self._mark_deferred()
                failures = 0
                for answered in waited:
                    self._outages.answered(answered)
                waited.clear()
            except Exception as exc:
                failures += 1
                self._rescan = True
                if (dependency := unavailable(exc)) is not None:
                    waited.add(dependency)
                    self._outages.failed(dependency, exc, tried_at=tried_at)
                    pause = self._outages.pause(failures)
                else:
                    log.exception("outbox relay failed; retrying", extra={"failures": failures})
                    pause = min(MAX_FAILURE_BACKOFF_S, 0.2 * 2**failures)
                await asyncio.sleep(pause)
                continue
            if not self._appended and not self._rescan:
                wait = max(0.0, min(self._poll_interval, next_scan - time.monotonic()))
                if self._unmarked:
                    wait = min(
                        wait, max(0.0, self._unmarked_since + MARK_DELAY_S - time.monotonic())
                    )
                await self._wait_for_work(wait)
            self._woken.clear()

    async def _wait_for_work(self, seconds: float) -> None:
        """Until woken or `seconds` passed. Not `asyncio.wait_for`: on Python 3.11 it
        swallows a cancellation that arrives once the event it waits for is set (it
        returns instead of raising), so a relay woken just before its host cancelled it
        ran on, and the host waited for it for good (seen: a service SIGTERMed right
        after `settle` woke its relay never exited)."""
        self._waiting = True
        woken = asyncio.ensure_future(self._woken.wait())
        try:
            await asyncio.wait({woken}, timeout=seconds)
        finally:
            woken.cancel()
            self._waiting = False

    async def _mark_deferred(self) -> None:
        unmarked, self._unmarked = self._unmarked, []
        if unmarked:
            try:
                await self._mark_sent(unmarked)
            except BaseException:
                self._unmarked = unmarked + self._unmarked  # marked with the next ones
                raise
            if self._unmarked:
                self._unmarked_since = time.monotonic()

    async def drain_once(self) -> int:
        """Publish every entry pending now, whoever appended it; return how many went out.

        Raises `RelayFailed` if an entry could not be published (its commit stays pending).
        """
        total = 0
        while True:
            commits = await self._store.pending(self._batch_size)
            total += await self._publish(commits)
            if len(commits) < self._batch_size:
                return total

    async def _relay_appended(self) -> int:
        appended, self._appended = self._appended, []
        appended.sort(key=lambda commit: (commit.stream, commit.version))
        batch: list[PendingCommit] = []
        queued: dict[str, int] = {}
        for commit in appended:
            last = queued.get(commit.stream, self._published_through.get(commit.stream))
            if last is not None and last >= commit.version:
                continue  # a full look published it already
            if commit.version > 1 and last != commit.version - 1:
                # Nothing tells us the previous commit went out (another process wrote
                # it, or it failed): it must not be overtaken.
                batch += await self._pending_before(commit, after=last or 0)
            batch.append(commit)
            queued[commit.stream] = commit.version
        return await self._publish(batch, defer_marks=True)

    async def _pending_before(self, commit: PendingCommit, *, after: int) -> list[PendingCommit]:
        earlier: list[PendingCommit] = []
        for version in range(commit.version - 1, after, -1):
            previous = await self._store.pending_commit(commit.stream, version)
            if previous is None:
                break
            earlier.append(previous)
        return earlier[::-1]

    async def _publish(self, commits: Sequence[PendingCommit], *, defer_marks: bool = False) -> int:
        # Everything is handed to the producer first and awaited afterwards: the
        # idempotent producer keeps each partition in order, and waiting per message
        # would cost a round trip each.
        sends: list[tuple[PendingCommit, list[asyncio.Future[Any]]]] = []
        failed: dict[str, BaseException] = {}
        for commit in commits:
            futures: list[asyncio.Future[Any]] = []
            try:
                for entry in commit.outbox:
                    futures.append(await self._send(entry))
            except Exception as exc:
                failed.setdefault(commit.stream, exc)
            sends.append((commit, futures))
        delivered: list[PendingCommit] = []
        for commit, futures in sends:
            results = await asyncio.gather(*futures, return_exceptions=True)
            errors = [result for result in results if isinstance(result, BaseException)]
            if errors:
                failed.setdefault(commit.stream, errors[0])
            if commit.stream in failed:
                continue  # neither this commit nor a later one of its stream is marked
            delivered.append(commit)
        if defer_marks:
            if delivered and not self._unmarked:
                self._unmarked_since = time.monotonic()
            self._unmarked += delivered
        else:
            await self._mark_sent(delivered)
        for commit in delivered:
            self._remember(commit)
            self._log_published(commit)
            telemetry.published(commit.outbox, self._prefix)
        if failed:
            stream, error = next(iter(failed.items()))
            raise RelayFailed(
                f"{len(failed)} stream(s) not published, e.g. {stream!r}: {error!r}"
            ) from error
        return sum(len(commit.outbox) for commit in delivered)

    async def _send(self, entry: OutboxEntry) -> asyncio.Future[Any]:
        # Published under the trace context stored with the entry, when tracing.
        with telemetry.publishing(entry.headers):
            return await self._broker.publish(
                entry.payload.encode("utf-8"),
                self._prefix + entry.topic,
                key=entry.key.encode("utf-8"),
                headers=dict(entry.headers),
                correlation_id=entry.headers.get("ce_correlationid"),
                no_confirm=True,
            )

    async def _mark_sent(self, commits: Sequence[PendingCommit]) -> None:
        await self._store.mark_sent(commits)

    def _remember(self, commit: PendingCommit) -> None:
        if len(self._published_through) >= REMEMBERED_STREAMS:
            self._published_through.clear()
        self._published_through[commit.stream] = commit.version

    def _log_published(self, commit: PendingCommit) -> None:
        first = commit.outbox[0].headers if commit.outbox else {}
        with message_context(
            correlation=first.get("ce_correlationid"),
            causation=first.get("ce_causationid"),
            message=None,
        ):
            log.info(
                "outbox published",
                extra={
                    "stream": commit.stream,
                    "version": commit.version,
                    "message_ids": [entry.id for entry in commit.outbox],
                    "message_types": [entry.type for entry in commit.outbox],
                    "topics": sorted({self._prefix + entry.topic for entry in commit.outbox}),
                },
            )
