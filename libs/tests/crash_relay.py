"""An outbox relay that dies by SIGKILL after publishing, before marking a commit sent.

Run as `python crash_relay.py MONGODB_URL DATABASE COLLECTION KAFKA TOPIC_PREFIX MARKS`:
it relays what is pending, marks the first MARKS commits sent, and kills itself when
about to mark the next one, whose messages Kafka has already acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from onewindow.runtime.eventstore import EventStore, PendingCommit
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.outbox import OutboxRelay


class CrashingRelay(OutboxRelay):
    marks_before_crash = 0

    async def _mark_sent(self, commits: Sequence[PendingCommit]) -> None:
        if len(commits) > self.marks_before_crash:
            await super()._mark_sent(commits[: self.marks_before_crash])
            print("crashing before marking", commits[self.marks_before_crash].id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        self.marks_before_crash -= len(commits)
        await super()._mark_sent(commits)


async def relay(
    url: str, database: str, collection: str, kafka: str, prefix: str, marks: str
) -> None:
    store = EventStore(make_client(url)[database], collection)
    broker = make_broker(kafka, client_id="crash-relay")
    await broker.start()
    crashing = CrashingRelay(store, broker, topic_prefix=prefix)
    crashing.marks_before_crash = int(marks)
    await crashing.drain_once()
    print("relayed everything without crashing", flush=True)


if __name__ == "__main__":
    asyncio.run(relay(*sys.argv[1:7]))
