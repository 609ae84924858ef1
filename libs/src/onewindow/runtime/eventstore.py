"""The event store: an aggregate's history as a stream of commit documents in MongoDB.

One commit is one `insert_one` of one document
`{_id, stream, version, events, outbox, outbox_pending, handled, recorded_at}`, so it is
atomic without multi-document transactions (FerretDB 1.24 has none). The unique index
on `(stream, version)` turns a lost race into duplicate-key error 11000, raised here as
`ConcurrencyConflict`. The messages to publish ride in the same document (the outbox),
and the id of the message handled is recorded with the state it produced, so a
redelivery is recognised.

The `_id` is `<stream>#<version>`. FerretDB 1.24 on SQLite uses no secondary index and
filters in SQL only on an `_id` equality; any other filter decodes every document of the
collection (measured: 5,000 commits, ~360 ms a field filter, ~48 ms an `_id` look-up).
So the relay finds one commit by `_id`; on MongoDB the same look-ups use the indexes.
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
from pymongo.errors import DuplicateKeyError

from onewindow.contracts import catalog
from onewindow.contracts.envelope import Envelope, build_headers, deterministic_id, new_envelope
from onewindow.contracts.message import Message
from onewindow.runtime.clock import Clock, SystemClock


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

    async def ensure_indexes(self) -> None:
        """Create the indexes (idempotent): the version guard and the relay's filter."""
        await self.commits.create_index(
            [("stream", ASCENDING), ("version", ASCENDING)], unique=True, name="stream_version"
        )
        await self.commits.create_index(
            [("outbox_pending", ASCENDING), ("stream", ASCENDING), ("version", ASCENDING)],
            name="outbox_pending",
        )

    async def load(self, stream: str) -> Stream:
        """Every commit of `stream` in version order, folded into one `Stream`.

        Commits are read by `_id` (`<stream>#<version>`) one version after another,
        starting after the last version this process has already seen: FerretDB's
        SQLite backend answers an `_id` match from its primary key but scans and
        decodes the whole collection for any other filter, so a field query here
        would make every message cost time proportional to all data ever stored.
        """
        known = self._seen.get(stream)
        loaded = Stream(stream)
        if known is not None:
            self._seen.move_to_end(stream)
            loaded.version, loaded.events = known.version, list(known.events)
            loaded.handled = set(known.handled)
        while True:
            doc = await self.commits.find_one(
                {"_id": commit_id(stream, loaded.version + 1)}, {"outbox": False}
            )
            if doc is None:
                break
            self._fold(loaded, doc)
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
    ) -> int:
        """Append one commit at `expected_version + 1`; return that new version.

        The commit is durable when this returns. Raises `ConcurrencyConflict` when
        another commit already holds that version: load again and decide again.
        Event types are the models' class names; their data is the JSON dump.
        """
        if expected_version < 0:
            raise ValueError(f"expected_version must be >= 0, got {expected_version}")
        if not events and not outbox and handled_message_id is None:
            raise ValueError("a commit needs events, outbox entries or a handled message id")
        version = expected_version + 1
        entries = [_entry(item) for item in outbox]
        doc: dict[str, Any] = {
            "_id": commit_id(stream, version),
            "stream": stream,
            "version": version,
            "events": [
                {"type": type(event).__name__, "data": event.model_dump(mode="json")}
                for event in events
            ],
            "outbox": entries,
            "outbox_pending": bool(entries),
            "handled": [handled_message_id] if handled_message_id is not None else [],
            "recorded_at": self._clock.now(),
        }
        try:
            await self.commits.insert_one(doc)
        except DuplicateKeyError:
            raise ConcurrencyConflict(stream, expected_version) from None
        known = self._seen.get(stream)
        if known is not None and known.version == expected_version:
            self._fold(known, doc)  # what this process just wrote needs no read-back
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

    async def mark_sent(self, commit: PendingCommit) -> None:
        """Record that every outbox entry of `commit` reached Kafka."""
        await self.commits.update_one(
            {"_id": commit.id},
            {"$set": {"outbox_pending": False, "outbox_sent_at": self._clock.now()}},
        )


def _entry(item: Outgoing) -> dict[str, Any]:
    return {
        "id": item.envelope.id,
        "topic": item.topic,
        "key": item.key,
        "type": item.envelope.type,
        "payload": item.message.model_dump_json(),
        "headers": {name: value.decode("utf-8") for name, value in build_headers(item.envelope)},
    }


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
