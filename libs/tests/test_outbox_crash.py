"""Crashes between append and publish, and between publish and mark, lose nothing and
apply nothing twice. Real processes killed with SIGKILL, real Kafka, real database."""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts.envelope import Envelope, parse_headers
from onewindow.contracts.message import Message
from onewindow.contracts.topics import all_topic_names
from onewindow.contracts.v1.work_permit import IssueWorkPermit, RecordWorkPermitOfficerDecision
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime.eventstore import EventStore
from onewindow.runtime.handling import Decision, handle
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.outbox import OutboxRelay
from onewindow.runtime.subscriber import subscribe
from onewindow.runtime.topics import ensure_topics

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

HERE = Path(__file__).parent
TOPIC = "work-permit.commands"
COMMITS = 9  # crash_writer: 3 streams x 3 versions
ENTRIES = 18  # two outgoing commands per commit
MARKED_BEFORE_RELAY_CRASH = 4


class CommandApplied(BaseModel):
    message_id: str


@pytest.fixture(scope="module")
async def own_prefix(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """Topics of this module's own, so its test traffic (poison included) reaches no
    service that a later test of the session starts; deleted afterwards."""
    prefix = f"{infrastructure.topic_prefix}{uuid.uuid4().hex[:6]}."
    await ensure_topics(infrastructure.kafka_bootstrap, prefix=prefix)
    yield prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([prefix + name for name in all_topic_names()])
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def db(module_db: AsyncDatabase[dict[str, Any]]) -> AsyncDatabase[dict[str, Any]]:
    """This module's database in the session's namespace, dropped afterwards."""
    return module_db


async def run_script(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def read_topic(
    infrastructure: Infrastructure, topic: str, wanted: Callable[[Any], bool], count: int
) -> list[Any]:
    """At least `count` records of `topic` that `wanted` accepts, read from the start,
    plus whatever else of them arrived meanwhile."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=infrastructure.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            if not batches and len(found) >= count:
                break  # caught up with the topic
            found += [r for records in batches.values() for r in records if wanted(r)]
    finally:
        await consumer.stop()
    return found


async def test_a_writer_killed_before_publishing_and_a_relay_killed_before_marking_lose_nothing(
    infrastructure: Infrastructure, own_prefix: str, db: AsyncDatabase[dict[str, Any]]
) -> None:
    run_id = uuid.uuid4().hex[:10]
    collection = f"commits_{run_id}"
    store = EventStore(db, collection)

    # 1. The writer appends commits with outbox entries and dies before any relay ran.
    code, output = await run_script(
        str(HERE / "crash_writer.py"), infrastructure.mongodb_url, db.name, collection, run_id
    )
    assert code == -signal.SIGKILL, output
    pending = await store.pending(100)
    assert len(pending) == COMMITS
    entries = {entry.id: commit for commit in pending for entry in commit.outbox}
    assert len(entries) == ENTRIES

    # 2. A relay publishes, marks four commits and dies before marking the fifth.
    code, output = await run_script(
        str(HERE / "crash_relay.py"),
        infrastructure.mongodb_url,
        db.name,
        collection,
        infrastructure.kafka_bootstrap,
        own_prefix,
        str(MARKED_BEFORE_RELAY_CRASH),
    )
    assert code == -signal.SIGKILL, output
    assert "crashing before marking" in output
    assert len(await store.pending(100)) == COMMITS - MARKED_BEFORE_RELAY_CRASH

    # 3. After restart, a relay publishes what is still pending, again where needed.
    broker = make_broker(infrastructure.kafka_bootstrap, client_id="relay-after-crash")
    await broker.start()
    try:
        relay = OutboxRelay(store, broker, topic_prefix=own_prefix)
        republished = await relay.drain_once()
    finally:
        await broker.stop()
    assert republished == 2 * (COMMITS - MARKED_BEFORE_RELAY_CRASH)
    assert await store.pending(100) == []

    topic = own_prefix + TOPIC
    records = await read_topic(
        infrastructure, topic, lambda r: (r.key or b"").startswith(run_id.encode()), ENTRIES
    )
    ids = Counter(parse_headers(r.headers).id for r in records)
    assert set(ids) == set(entries)  # every entry reached Kafka
    assert max(ids.values()) >= 2  # the unmarked commit went out twice
    first_seen: dict[bytes, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for record in sorted(records, key=lambda r: r.offset):
        message_id = parse_headers(record.headers).id
        if message_id not in seen:
            seen.add(message_id)
            first_seen[record.key].append(entries[message_id].version)
    assert all(versions == sorted(versions) for versions in first_seen.values())

    # 4. A consumer applies every command exactly once, duplicates notwithstanding.
    effects = EventStore(db, f"effects_{run_id}")
    await effects.ensure_indexes()
    deliveries: Counter[str] = Counter()

    async def apply(message: Message, envelope: Envelope) -> None:
        if not isinstance(message, IssueWorkPermit | RecordWorkPermitOfficerDecision):
            return
        if not message.application_id.startswith(run_id):
            return
        deliveries[envelope.id] += 1
        await handle(
            effects,
            f"effects-{message.application_id}",
            envelope.id,
            lambda stream: stream,
            lambda _stream: Decision(events=[CommandApplied(message_id=envelope.id)]),
        )

    consumer_broker: KafkaBroker = make_broker(infrastructure.kafka_bootstrap, "crash-consumer")
    subscribe(
        consumer_broker,
        topic=TOPIC,
        group_id=f"crash-consumer-{run_id}",
        handler=apply,
        topic_prefix=own_prefix,
        source="onewindow/crash-test",
    )
    await consumer_broker.start()
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while deliveries.total() < len(records):
            assert asyncio.get_running_loop().time() < deadline, deliveries
            await asyncio.sleep(0.1)
    finally:
        await consumer_broker.stop()

    applied: Counter[str] = Counter()
    for stream in {f"effects-{commit.stream.removeprefix('permit-')}" for commit in pending}:
        applied.update(event.data["message_id"] for event in (await effects.load(stream)).events)
    assert deliveries == ids  # every copy on the topic was delivered ...
    assert applied == Counter(set(entries))  # ... and each command applied exactly once
