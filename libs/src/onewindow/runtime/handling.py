"""Idempotent command handling: load, decide, append; retried on a concurrency conflict."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from onewindow.runtime.eventstore import ConcurrencyConflict, EventStore, Outgoing, Stream

log = logging.getLogger(__name__)

# A conflict means another writer just appended; waiting a few milliseconds, with
# jitter so the losers do not collide again in lockstep, lets the winner finish.
BACKOFF_BASE_S = 0.005
BACKOFF_CAP_S = 0.2


@dataclass(frozen=True)
class Decision:
    """What handling a message decided: events to record and messages to send."""

    events: Sequence[BaseModel] = ()
    outbox: Sequence[Outgoing] = ()


async def handle(
    store: EventStore,
    stream: str,
    message_id: str,
    decide: Callable[[Stream], Decision],
    *,
    max_conflicts: int = 50,
) -> bool:
    """Apply the message `message_id` to `stream` exactly once.

    If the stream already records `message_id` as handled, nothing changes and this
    returns False (a redelivery that this process's cache has not seen yet is caught by
    the append's conflict, after which the stream is read from the database). Otherwise
    `decide` sees the current stream and its decision is
    appended together with `message_id` (even an empty decision, so a redelivery is
    recognised); returns True. On a concurrency conflict the stream is loaded again and
    `decide` asked again; a conflict beyond `max_conflicts` is raised.
    `decide` must be pure: it may run several times.
    """
    conflicts = 0
    while True:
        # The first try trusts what this process cached of the stream (it owns the
        # stream's partition); after a conflict the stream is read anew.
        current = await (store.load_owned(stream) if conflicts == 0 else store.load(stream))
        if message_id in current.handled:
            log.info(
                "message already handled",
                extra={"stream": stream, "handled_message_id": message_id},
            )
            return False
        decision = decide(current)
        try:
            await store.append(
                stream,
                current.version,
                decision.events,
                decision.outbox,
                handled_message_id=message_id,
            )
        except ConcurrencyConflict:
            conflicts += 1
            if conflicts > max_conflicts:
                raise
            log.debug(
                "concurrency conflict; deciding again on fresh state",
                extra={"stream": stream, "conflicts": conflicts},
            )
            ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(conflicts, 10))
            await asyncio.sleep(random.uniform(0, ceiling))
            continue
        return True
