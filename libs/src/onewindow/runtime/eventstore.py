"""The event store: an aggregate's history as a stream of commit documents in MongoDB.

One commit is one document `{_id, stream, version, events, outbox, handled,
recorded_at}`, written by one insert, so it is atomic without multi-document
transactions (FerretDB 1.24 has none). The unique `_id` `<stream>#<version>` turns a lost
race into duplicate-key error 11000, raised here as `ConcurrencyConflict`. The messages
to publish ride in the same document (the outbox), and the id of the message handled is
recorded with the state it produced, so a redelivery is recognised.

Group commit: appends that arrive while a write is under way are written together by
the next unordered `insert_many` (one conflict fails only its own commit), and each
caller learns its own outcome. Under load one database command carries many commits.

The outbox is pending while the commit's `outbox_pending` is true. The relay marks
what it published with one `update_many` whose filter names the flag (an indexed
equality, so only pending commits are looked at) and the ids; a look for pending work
reads the flag alone, so neither costs more as the history grows. (One multi-document
update, never a multi-statement one: FerretDB 1.24 on PostgreSQL applied only some
statements of a `bulk_write` of several `UpdateOne`, 7 of 10, and leaked a connection
per statement until it stopped answering, measured here.)

Streams are cached per process: `load` reads only commits newer than what this process
already knows, and `load_owned` (the unit of work's read) trusts the cache outright,
since the unique `_id` still refuses a stale writer (the conflict drops the entry). For
the same reason a message that opens its stream reads nothing on a miss.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts import catalog
from onewindow.contracts.envelope import Envelope, build_headers, deterministic_id, new_envelope
from onewindow.contracts.message import Message
from onewindow.runtime import logs, ownership, telemetry, vault
from onewindow.runtime.clock import Clock, SystemClock
from onewindow.runtime.event_types import stored_name
from onewindow.runtime.mongo import UniqueInserts


class ConcurrencyConflict(Exception):
    """Another commit took `expected_version + 1` of the stream first; retry on fresh state."""

    def __init__(self, stream: str, expected_version: int) -> None:
        super().__init__(f"stream {stream!r} is no longer at version {expected_version}")
        self.stream = stream
        self.expected_version = expected_version


@dataclass(frozen=True)
class Outgoing:
    """A message to publish once its commit is durable: registry topic (no prefix), key."""

    topic: str
    key: str
    message: Message
    envelope: Envelope


def outgoing(
    message: Message,
    *,
    key: str,
    correlation_id: str,
    source: str,
    cause: Envelope | None,
    discriminator: str | None = None,
    subject: str | None = None,
    time: datetime | None = None,
) -> Outgoing:
    """An outgoing message on its registry topic.

    Caused by `cause`, its id is `deterministic_id(cause.id, discriminator or TYPE)`, so
    handling the cause again produces the same id and receivers ignore the repeat; give
    a `discriminator` when one cause sends several messages of one type. Without a
    cause the id is random.
    """
    message_id = (
        deterministic_id(cause.id, discriminator or message.TYPE) if cause is not None else None
    )
    envelope = new_envelope(
        message.TYPE,
        source=source,
        correlation_id=correlation_id,
        cause=cause,
        id=message_id,
        subject=subject,
        time=time,
    )
    envelope = telemetry.following(envelope, cause)  # when tracing
    return Outgoing(catalog.topic_of(message).name, key, message, envelope)


@dataclass(frozen=True)
class StoredEvent:
    """One event of a stream, with the version of the commit that recorded it."""

    type: str
    data: dict[str, Any]
    version: int
    recorded_at: datetime


@dataclass
class Stream:
    """An aggregate's history as loaded: version 0 is the empty stream."""

    name: str
    version: int = 0
    events: list[StoredEvent] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OutboxEntry:
    """A message as stored in a commit's outbox, ready to publish byte for byte."""

    id: str
    topic: str
    key: str
    type: str
    payload: str
    headers: dict[str, str]


@dataclass(frozen=True)
class PendingCommit:
    """A commit whose outbox has not been marked sent."""

    id: str
    stream: str
    version: int
    outbox: tuple[OutboxEntry, ...]


def commit_id(stream: str, version: int) -> str:
    """The `_id` of a stream's commit at a version."""
    return f"{stream}#{version}"


class EventStore:
    """Loads and appends streams of commits in one collection.

    `on_append` is called after every durable append. An `OutboxRelay` built on this
    store needs no such hook: it watches the store's appends itself (see `watch`).
    """

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        collection: str = "commits",
        on_append: Callable[[], None] | None = None,
        *,
        clock: Clock | None = None,
        cache_streams: int = 20_000,
    ) -> None:
        self.commits = db[collection]
        self.on_append = on_append
        self._clock = clock or SystemClock()
        self._watchers: list[Callable[[PendingCommit], None]] = []
        self._seen: OrderedDict[str, Stream] = OrderedDict()
        self.cache_streams = cache_streams
        self._writer = UniqueInserts(self.commits)
        ownership.register(self)

    async def ensure_indexes(self) -> None:
        """Create the indexes (idempotent): the version guard (and the stream read), and
        the flag of commits whose messages are still to publish."""
        await self.commits.create_index(
            [("stream", ASCENDING), ("version", ASCENDING)], unique=True, name="stream_version"
        )
        await self.commits.create_index([("outbox_pending", ASCENDING)], name="outbox_pending")

    def forget(self, stream: str) -> None:
        """Drop what this process cached of `stream` (another writer moved it)."""
        self._seen.pop(stream, None)

    def forget_all(self) -> None:
        """Drop every cached stream (this process no longer owns their partitions)."""
        self._seen.clear()

    async def load_owned(self, stream: str, *, opening: bool = False) -> Stream:
        """The stream as this process last saw it, read from the database only on a miss.

        For a writer that owns the stream's partition: if another process appended
        meanwhile, the next append conflicts, drops the entry, and the retry reads anew.
        `opening`: the message is the one that opens the stream (an application's
        submission, a permit's assessment), so a miss is taken as the empty stream with no
        read; if the stream exists after all (a redelivery), the commit at version 1
        conflicts and the retry reads it.
        """
        known = self._seen.get(stream)
        if known is None:
            return Stream(stream) if opening else await self.load(stream)
        self._seen.move_to_end(stream)
        return Stream(stream, known.version, list(known.events), set(known.handled))

    async def load(self, stream: str) -> Stream:
        """Every commit of `stream` in version order, folded into one `Stream`.

        What this process has already seen is not read again: one query fetches the
        commits after the last version known here (all of them on a miss).
        """
        known = self._seen.get(stream)
        loaded = Stream(stream)
        if known is not None:
            self._seen.move_to_end(stream)
            loaded.version, loaded.events = known.version, list(known.events)
            loaded.handled = set(known.handled)
        if loaded.version == 0:
            query: dict[str, Any] = {"stream": stream}
        else:
            query = {"stream": stream, "version": {"$gt": loaded.version}}
        cursor = self.commits.find(query, {"outbox": False}, sort=[("version", ASCENDING)])
        try:
            async for doc in cursor:
                if int(doc["version"]) == loaded.version + 1:
                    self._fold(loaded, await _opened(doc))
        finally:
            # An abandoned cursor (a cancelled caller) would keep FerretDB's PostgreSQL
            # connection busy until the cursor times out; enough of them stall the server.
            await cursor.close()
        self._remember(loaded)
        return loaded

    @staticmethod
    def _fold(loaded: Stream, doc: dict[str, Any]) -> None:
        version = int(doc["version"])
        recorded_at = _aware(doc["recorded_at"])
        loaded.events += [
            StoredEvent(str(event["type"]), dict(event["data"]), version, recorded_at)
            for event in doc.get("events", [])
        ]
        loaded.handled.update(str(handled) for handled in doc.get("handled", []))
        loaded.version = version

    def _remember(self, loaded: Stream) -> None:
        """Keep a copy of what this process knows of a stream (bounded, least recent out)."""
        self._seen[loaded.name] = Stream(
            loaded.name, loaded.version, list(loaded.events), set(loaded.handled)
        )
        self._seen.move_to_end(loaded.name)
        while len(self._seen) > self.cache_streams:
            self._seen.popitem(last=False)

    async def append(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[BaseModel],
        outbox: Sequence[Outgoing] = (),
        handled_message_id: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Append one commit at `expected_version + 1`; return that new version.

        `recorded_at`: the commit's time (default: now), which a replay gives the
        aggregate as the moment of its events.

        The commit is durable when this returns. Raises `ConcurrencyConflict` when
        another commit already holds that version: load again and decide again.
        Event types are the events' stable stored names (`event_types`); their data is
        the JSON dump.
        """
        if expected_version < 0:
            raise ValueError(f"expected_version must be >= 0, got {expected_version}")
        if not events and not outbox and handled_message_id is None:
            raise ValueError("a commit needs events, outbox entries or a handled message id")
        version = expected_version + 1
        entries = [await _entry(item) for item in outbox]
        now = recorded_at or self._clock.now()
        plain = [
            {"type": stored_name(event), "data": event.model_dump(mode="json")} for event in events
        ]
        # The events' personal data is sealed under the key of the case being handled
        # (or, for a timer's commit, of the case its messages are about).
        sealed_with = logs.correlation_id.get() or next(
            (item.envelope.correlation_id for item in outbox), None
        )
        stored = await vault.seal_payload(plain, sealed_with)
        doc: dict[str, Any] = {
            "_id": commit_id(stream, version),
            "stream": stream,
            "version": version,
            "events": stored,
            # Named only when something was sealed: a load opens only such commits.
            "sealed_with": None if stored is plain else sealed_with,
            "outbox": entries,
            "outbox_pending": bool(entries),
            "handled": [handled_message_id] if handled_message_id is not None else [],
            "recorded_at": now,
        }
        if not await self._writer(doc):
            self.forget(stream)
            raise ConcurrencyConflict(stream, expected_version)
        known = self._seen.get(stream)
        written = {**doc, "events": plain}
        if known is not None and known.version == expected_version:
            self._fold(known, written)  # what this process just wrote needs no read-back
        elif known is None and expected_version == 0:
            self._remember(Stream(stream))
            self._fold(self._seen[stream], written)
        if self.on_append is not None:
            self.on_append()
        if entries:
            pending = _pending(doc)
            for watcher in self._watchers:
                watcher(pending)
        return version

    def watch(self, callback: Callable[[PendingCommit], None]) -> None:
        """Call `callback` with each commit with an outbox this store appends (the relay)."""
        self._watchers.append(callback)

    async def pending(self, limit: int) -> list[PendingCommit]:
        """Up to `limit` commits not yet marked sent, each stream's in version order."""
        cursor = self.commits.find(
            {"outbox_pending": True},
            {"stream": True, "version": True, "outbox": True},
            sort=[("stream", ASCENDING), ("version", ASCENDING)],
            limit=limit,
        )
        return [_pending(doc) async for doc in cursor]

    async def pending_commit(self, stream: str, version: int) -> PendingCommit | None:
        """The commit at `version` of `stream` if its outbox is still pending."""
        doc = await self.commits.find_one({"_id": commit_id(stream, version)})
        return _pending(doc) if doc is not None and doc.get("outbox_pending") else None

    async def mark_sent(self, commits: Sequence[PendingCommit]) -> None:
        """Record that every outbox entry of `commits` reached Kafka (one command).

        The flag's equality is answered from its index; `$in` is then checked on the
        pending commits only (FerretDB pushes no `$in` down).
        """
        if commits:
            await self.commits.update_many(
                {"outbox_pending": True, "_id": {"$in": [commit.id for commit in commits]}},
                {"$set": {"outbox_pending": False, "outbox_sent_at": self._clock.now()}},
            )


async def _entry(item: Outgoing) -> dict[str, Any]:
    return {
        "id": item.envelope.id,
        "topic": item.topic,
        "key": item.key,
        "type": item.envelope.type,
        "payload": await vault.dump(item.message, item.envelope.correlation_id),
        # With the trace context and the flow's beginning of the message being handled.
        "headers": telemetry.carried(
            {name: value.decode("utf-8") for name, value in build_headers(item.envelope)}
        ),
    }


async def _opened(doc: dict[str, Any]) -> dict[str, Any]:
    """A commit as read, with its events' sealed values opened (or read as erased)."""
    if not doc.get("sealed_with"):
        return doc
    return {**doc, "events": await vault.unseal_payload(doc["events"], doc["sealed_with"])}


def _pending(doc: dict[str, Any]) -> PendingCommit:
    return PendingCommit(
        id=str(doc.get("_id") or commit_id(doc["stream"], doc["version"])),
        stream=str(doc["stream"]),
        version=int(doc["version"]),
        outbox=tuple(
            OutboxEntry(
                id=str(entry["id"]),
                topic=str(entry["topic"]),
                key=str(entry["key"]),
                type=str(entry["type"]),
                payload=str(entry["payload"]),
                headers={str(k): str(v) for k, v in entry["headers"].items()},
            )
            for entry in doc.get("outbox", [])
        ),
    )


def _aware(moment: datetime) -> datetime:
    # A client built without tz_aware=True hands back naive datetimes; BSON dates are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
