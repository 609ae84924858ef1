"""An event store in memory, for unit tests of a service's handlers (no database).

`MemoryEventStore` keeps the real store's contract: one commit per version (a second
writer of a version gets `ConcurrencyConflict`), handled message ids recorded with the
commit, events stored under their stable names and read back as the real store does. What
a commit would publish is kept in `published`, in commit order, as the relay would send
it: a test reads the messages a handler sent from there (the "fake bus").

Another writer is played by `before_append` (called before each append, with the
stream, until it answers True: a rival's commit made there makes this one conflict) and
`force` (a commit behind the handler's back).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import BaseModel

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.runtime.clock import Clock, SystemClock
from onewindow.runtime.event_types import stored_name
from onewindow.runtime.eventstore import (
    ConcurrencyConflict,
    EventStore,
    Outgoing,
    StoredEvent,
    Stream,
)


class MemoryEventStore(EventStore):
    """The event store's contract over a dict; `published` is what was sent."""

    def __init__(self, *, clock: Clock | None = None) -> None:  # no database: no super()
        self._clock = clock or SystemClock()
        self._streams: dict[str, Stream] = {}
        self.published: list[Outgoing] = []
        self.before_append: Callable[[str], bool] | None = None

    async def ensure_indexes(self) -> None:
        return None

    def forget(self, stream: str) -> None:
        return None

    def forget_all(self) -> None:
        return None

    async def load_owned(self, stream: str, *, opening: bool = False) -> Stream:
        return await self.load(stream)

    async def load(self, stream: str) -> Stream:
        known = self._streams.get(stream, Stream(stream))
        return Stream(stream, known.version, list(known.events), set(known.handled))

    async def append(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[BaseModel],
        outbox: Sequence[Outgoing] = (),
        handled_message_id: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        if expected_version < 0:
            raise ValueError(f"expected_version must be >= 0, got {expected_version}")
        if self.before_append is not None and self.before_append(stream):
            self.before_append = None
        if not events and not outbox and handled_message_id is None:
            raise ValueError("a commit needs events, outbox entries or a handled message id")
        known = self._streams.setdefault(stream, Stream(stream))
        if known.version != expected_version:
            raise ConcurrencyConflict(stream, expected_version)
        version, now = expected_version + 1, recorded_at or self._clock.now()
        known.events += [
            # Through JSON, as the real store keeps them: a test sees what a replay sees.
            StoredEvent(stored_name(e), e.model_dump(mode="json"), version, now)
            for e in events
        ]
        if handled_message_id is not None:
            known.handled.add(handled_message_id)
        known.version = version
        self.published += outbox
        return version

    def force(self, stream: str, *events: BaseModel) -> None:
        """Commit `events` behind the handler's back, as another process would."""
        known = self._streams.setdefault(stream, Stream(stream))
        known.version += 1
        now = self._clock.now()
        known.events += [
            StoredEvent(stored_name(e), e.model_dump(mode="json"), known.version, now)
            for e in events
        ]

    # --- what a test reads ---------------------------------------------------------------

    def sent(self, kind: type[Message] | None = None) -> list[Message]:
        """The messages published so far (of `kind`, when given), in order."""
        return [o.message for o in self.published if kind is None or isinstance(o.message, kind)]

    def envelopes(self, kind: type[Message]) -> list[Envelope]:
        return [o.envelope for o in self.published if isinstance(o.message, kind)]

    def recorded_at(self, stream: str) -> list[datetime]:
        return [e.recorded_at for e in self._streams.get(stream, Stream(stream)).events]
