"""The unit of work: load an aggregate, decide, commit once; conflicts retried here alone.

Every event-sourced service handles a message the same way (`handle`):

1. **load** the stream (the first try trusts what this process cached: it owns the
   stream's partition, `EventStore.load_owned`; a message that opens the stream reads
   nothing then) and rebuild the aggregate from it;
2. **decide**: the use case's decision on the aggregate, which may call ports on the way
   (a permit number, the registry, another stream's claim), so it may be async;
3. **commit** one document with the decision's events, its outbox and the id of the
   message handled, so a redelivery is recognised and a crash loses or doubles nothing.

A `ConcurrencyConflict`, from the commit or from a port the decision wrote through,
means another writer was first: the stream is read anew and the decision taken again,
after a short jittered wait, up to `max_conflicts` times. The caller gets the aggregate
back (`Handled.state`), also for a redelivery (as stored), so whatever it keeps beside
the stream (an index, a projection) can be brought in line either way.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from onewindow.runtime.eventstore import ConcurrencyConflict, EventStore, Outgoing, Stream

log = logging.getLogger(__name__)

# A conflict means another writer just appended; waiting a few milliseconds, with
# jitter so the losers do not collide again in lockstep, lets the winner finish.
BACKOFF_BASE_S = 0.005
BACKOFF_CAP_S = 0.2

A = TypeVar("A")


@dataclass(frozen=True)
class Decision:
    """What handling a message decided: events to record and messages to send."""

    events: Sequence[BaseModel] = ()
    outbox: Sequence[Outgoing] = ()
    # The moment the decision took its events at, recorded as the commit's time, so the
    # aggregate a replay rebuilds keeps the same clocks as the one that decided (None:
    # the store's now).
    at: datetime | None = None


@dataclass(frozen=True)
class Handled(Generic[A]):
    """The outcome of `handle`.

    `state`: the aggregate the decision worked on (the aggregates here change as they
    decide), or for a redelivery the aggregate as stored; `version`: the stream's version
    that holds it; `decision`: what was committed, or None when the message had been
    handled before and nothing was written.
    """

    state: A
    version: int
    decision: Decision | None

    @property
    def first_time(self) -> bool:
        """Whether this call committed the message (False: a redelivery)."""
        return self.decision is not None


async def handle(
    store: EventStore,
    stream: str,
    message_id: str,
    load: Callable[[Stream], A],
    decide: Callable[[A], Decision | Awaitable[Decision]],
    *,
    opens: bool = False,
    max_conflicts: int = 50,
) -> Handled[A]:
    """Apply the message `message_id` to `stream` exactly once (see the module).

    `load` rebuilds the aggregate from the stream; `decide` decides on it (it may run
    several times, once per conflict, each time on a fresh aggregate). Even an empty
    decision is committed, so a redelivery is recognised. A conflict beyond
    `max_conflicts` is raised.

    `opens`: the message opens the stream, so the first try reads nothing that this
    process has not cached (`EventStore.load_owned`); only a redelivery, or a stream
    another message opened first, costs the conflict and a read. `decide` must then
    write through no port that a replay of it on the empty aggregate would get wrong.
    """
    conflicts = 0
    while True:
        current = await (
            store.load_owned(stream, opening=opens) if conflicts == 0 else store.load(stream)
        )
        aggregate = load(current)
        if message_id in current.handled:
            # A redelivery that this process's cache has not seen yet is caught by the
            # commit's conflict, after which the stream is read from the database.
            log.info(
                "message already handled",
                extra={"stream": stream, "handled_message_id": message_id},
            )
            return Handled(aggregate, current.version, None)
        try:
            decided = decide(aggregate)
            decision = await decided if inspect.isawaitable(decided) else decided
            version = await store.append(
                stream,
                current.version,
                decision.events,
                decision.outbox,
                handled_message_id=message_id,
                recorded_at=decision.at,
            )
        except ConcurrencyConflict as conflict:
            conflicts += 1
            if conflicts > max_conflicts:
                raise
            log.debug(
                "concurrency conflict; deciding again on fresh state",
                extra={"stream": conflict.stream, "conflicts": conflicts},
            )
            ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(conflicts, 10))
            await asyncio.sleep(random.uniform(0, ceiling))
            continue
        return Handled(aggregate, version, decision)
