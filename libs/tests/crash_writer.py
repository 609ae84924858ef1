"""Appends commits with outbox entries, then dies by SIGKILL before any relay ran.

Run as `python crash_writer.py MONGODB_URL DATABASE COLLECTION RUN_ID`: it writes
`STREAMS` streams of `VERSIONS` commits, each with two outgoing work-permit commands,
and kills itself with SIGKILL, the way a process dies between append and publish.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from pydantic import BaseModel

from onewindow.contracts.envelope import new_envelope
from onewindow.contracts.v1.work_permit import IssueWorkPermit, RecordWorkPermitOfficerDecision
from onewindow.runtime.eventstore import EventStore, outgoing
from onewindow.runtime.mongo import make_client

STREAMS = 3
VERSIONS = 3
SOURCE = "onewindow/crash-writer"


class DecisionRequested(BaseModel):
    application_id: str
    round: int


def case_of(run_id: str, stream: int) -> str:
    return f"{run_id}-case-{stream}"


async def write(url: str, database: str, collection: str, run_id: str) -> None:
    client = make_client(url)
    store = EventStore(client[database], collection)
    await store.ensure_indexes()
    for version in range(1, VERSIONS + 1):
        for stream in range(STREAMS):
            case = case_of(run_id, stream)
            # The cause is what this commit handled; its id makes the outgoing ids repeatable.
            cause = new_envelope("onewindow.test.Step.v1", source=SOURCE, correlation_id=case)
            messages = [
                IssueWorkPermit(application_id=case),
                RecordWorkPermitOfficerDecision(
                    application_id=case, decision="approve", officer=f"officer-{version}"
                ),
            ]
            await store.append(
                f"permit-{case}",
                version - 1,
                [DecisionRequested(application_id=case, round=version)],
                [
                    outgoing(m, key=case, correlation_id=case, source=SOURCE, cause=cause)
                    for m in messages
                ],
                handled_message_id=cause.id,
            )
    print("appended", STREAMS * VERSIONS, "commits", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(write(*sys.argv[1:5]))
