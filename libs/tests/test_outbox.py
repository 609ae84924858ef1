"""The outbox relay publishes CloudEvents records in stream order. Real Kafka and database."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts.envelope import parse_headers
from onewindow.contracts.topics import all_topic_names
from onewindow.contracts.v1.common import DocumentRef
from onewindow.contracts.v1.identity import CloseCase, VerifyIdentity
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime.eventstore import EventStore, outgoing
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.outbox import OutboxRelay, RelayFailed
from onewindow.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration

TOPIC = "identity.commands"
CLOUDEVENTS_HEADERS = {
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_specversion",
    "ce_time",
    "ce_subject",
    "ce_correlationid",
    "ce_causationid",
    "content-type",
    "traceparent",
}


class StepTaken(BaseModel):
    step: int


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


@pytest.fixture
async def store(db: AsyncDatabase[dict[str, Any]]) -> EventStore:
    created = EventStore(db, f"commits_{uuid.uuid4().hex[:8]}")
    await created.ensure_indexes()
    return created


@pytest.fixture
async def broker(infrastructure: Infrastructure) -> AsyncIterator[KafkaBroker]:
    started = make_broker(infrastructure.kafka_bootstrap, client_id="outbox-test")
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
def case() -> str:
    return f"app-{uuid.uuid4().hex[:10]}"


async def records_with_key(
    infrastructure: Infrastructure, topic: str, key: str, count: int, within: float = 30.0
) -> list[Any]:
    """The records keyed `key` on `topic`, once `count` arrived (or `within` passed)."""
    return await read(infrastructure, topic, lambda r: r.key == key.encode(), count, within)


async def read(
    infrastructure: Infrastructure,
    topic: str,
    wanted: Callable[[Any], bool],
    count: int,
    within: float,
) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infrastructure.kafka_bootstrap,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + within
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            found += [r for records in batches.values() for r in records if wanted(r)]
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: r.offset)


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[None]:
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_record_is_cloudevents_binary_mode_without_personal_data_in_headers(
    infrastructure: Infrastructure,
    own_prefix: str,
    store: EventStore,
    broker: KafkaBroker,
    case: str,
) -> None:
    verify = VerifyIdentity(
        application_id=case,
        nationality="DEU",
        passport_number="C01X00T47",
        passport_expires_on=date(2031, 5, 1),
        date_of_birth=date(1990, 2, 14),
        employer_uscc="91310000MA1FL4XK2B",
        documents=(DocumentRef(kind="degree", upload_id="upload-1"),),
        application_date=date(2026, 9, 1),
    )
    item = outgoing(
        verify, key=case, correlation_id=case, source="onewindow/test", cause=None, subject=case
    )
    await store.append(f"case-{case}", 0, [StepTaken(step=1)], [item])

    published = await OutboxRelay(store, broker, topic_prefix=own_prefix).drain_once()
    [record] = await records_with_key(infrastructure, own_prefix + TOPIC, case, 1)

    assert published == 1
    assert record.value == verify.model_dump_json().encode()
    assert VerifyIdentity.model_validate_json(record.value) == verify
    assert parse_headers(record.headers) == item.envelope
    names = {name for name, _ in record.headers}
    assert names - {"correlation_id"} <= CLOUDEVENTS_HEADERS  # FastStream adds correlation_id
    header_text = " ".join(value.decode() for _, value in record.headers)
    for personal in ("C01X00T47", "1990-02-14", "DEU", "91310000MA1FL4XK2B", "2031-05-01"):
        assert personal not in header_text
    assert await store.pending(10) == []


async def test_a_running_relay_publishes_each_streams_commits_in_version_order(
    infrastructure: Infrastructure,
    own_prefix: str,
    store: EventStore,
    broker: KafkaBroker,
    case: str,
) -> None:
    relay = OutboxRelay(store, broker, topic_prefix=own_prefix, rescan_interval=60)
    steps = 12

    async with running(relay):
        for step in range(1, steps + 1):
            close = CloseCase(application_id=f"{case}-{step}", outcome="approved")
            item = outgoing(close, key=case, correlation_id=case, source="t", cause=None)
            await store.append(f"case-{case}", step - 1, [StepTaken(step=step)], [item])
        records = await records_with_key(infrastructure, own_prefix + TOPIC, case, steps, within=10)
        unmarked = await store.pending(100)
        for _ in range(50):  # marking follows Kafka's acknowledgement by a moment
            if not unmarked:
                break
            await asyncio.sleep(0.1)
            unmarked = await store.pending(100)

    ids = [CloseCase.model_validate_json(r.value).application_id for r in records]
    assert ids == [f"{case}-{step}" for step in range(1, steps + 1)]
    assert unmarked == []


@pytest.mark.parametrize("noticed_by", ["wake", "periodic look"])
async def test_commits_written_elsewhere_are_found_on_wake_or_by_the_periodic_look(
    infrastructure: Infrastructure,
    own_prefix: str,
    db: AsyncDatabase[dict[str, Any]],
    store: EventStore,
    broker: KafkaBroker,
    case: str,
    noticed_by: str,
) -> None:
    elsewhere = EventStore(db, store.commits.name)  # as another process would write
    rescan = 60 if noticed_by == "wake" else 0.3
    relay = OutboxRelay(store, broker, topic_prefix=own_prefix, rescan_interval=rescan)

    async with running(relay):
        await asyncio.sleep(0.5)  # the relay has had its first look already
        close = CloseCase(application_id=case, outcome="withdrawn")
        item = outgoing(close, key=case, correlation_id=case, source="t", cause=None)
        await elsewhere.append(f"case-{case}", 0, [StepTaken(step=1)], [item])
        if noticed_by == "wake":
            relay.wake()
        records = await records_with_key(infrastructure, own_prefix + TOPIC, case, 1, within=5)

    assert [parse_headers(r.headers).id for r in records] == [item.envelope.id]


async def test_nothing_is_marked_sent_when_publishing_fails(
    infrastructure: Infrastructure, own_prefix: str, store: EventStore, case: str
) -> None:
    never_started = make_broker(infrastructure.kafka_bootstrap, client_id="not-connected")
    close = CloseCase(application_id=case, outcome="refused")
    item = outgoing(close, key=case, correlation_id=case, source="t", cause=None)
    await store.append(f"case-{case}", 0, [StepTaken(step=1)], [item])

    with pytest.raises(RelayFailed):
        await OutboxRelay(store, never_started, topic_prefix=own_prefix).drain_once()

    [still_pending] = await store.pending(10)
    assert [entry.id for entry in still_pending.outbox] == [item.envelope.id]
