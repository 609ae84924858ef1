"""Poison messages go to `<topic>.dlq` with their error; the partition moves on. Real Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from onewindow.contracts.envelope import Envelope, build_headers, new_envelope
from onewindow.contracts.message import Message
from onewindow.contracts.topics import all_topic_names
from onewindow.contracts.v1.identity import CloseCase
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime import logs
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.subscriber import SHUTDOWN, subscribe
from onewindow.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration

TOPIC = "identity.commands"
ATTEMPTS = 3


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


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def broker(infrastructure: Infrastructure) -> AsyncIterator[KafkaBroker]:
    # These subscribers run without a service host, which is what resets the process's
    # shutdown: a host an earlier test module stopped must not leave them refusing batches.
    SHUTDOWN.reset()
    created = make_broker(infrastructure.kafka_bootstrap, client_id="dlq-test")
    yield created
    await created.stop()


async def publish(
    broker: KafkaBroker, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]
) -> Any:
    return await broker.publish(
        value, topic, key=key.encode(), headers={n: v.decode() for n, v in headers}
    )


def envelope_for(message: Message, case: str) -> Envelope:
    return new_envelope(message.TYPE, source="test", correlation_id=case, subject=case)


async def eventually(condition: Callable[[], bool], within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def read_topic(
    infrastructure: Infrastructure,
    topic: str,
    wanted: Callable[[Any], bool],
    count: int,
    within: float = 60.0,
) -> list[Any]:
    """The records of `topic` (from the start) that `wanted` accepts: `count`, or what
    arrived `within` seconds."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=infrastructure.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + within
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            found += [r for records in batches.values() for r in records if wanted(r)]
    finally:
        await consumer.stop()
    return found


async def test_a_poison_message_is_set_aside_after_its_attempts_and_the_partition_moves_on(
    infrastructure: Infrastructure, own_prefix: str, broker: KafkaBroker, run_id: str
) -> None:
    case = f"case-{run_id}"
    attempts: Counter[str] = Counter()
    handled: list[str] = []
    logged: list[tuple[str | None, str | None]] = []

    async def handler(message: Message, envelope: Envelope) -> None:
        if not isinstance(message, CloseCase) or not message.application_id.startswith(case):
            return  # another test's message on the shared topic
        attempts[message.application_id] += 1
        logged.append((logs.correlation_id.get(), logs.message_id.get()))
        if message.application_id.endswith("poison"):
            raise RuntimeError(f"cannot close {message.application_id}")
        handled.append(message.application_id)

    subscribe(
        broker,
        topic=TOPIC,
        group_id=f"dlq-test-{run_id}",
        handler=handler,
        topic_prefix=own_prefix,
        max_attempts=ATTEMPTS,
        backoff_s=0.05,
        source="onewindow/dlq-test",
    )
    await broker.start()
    topic = own_prefix + TOPIC

    sent = {}
    for suffix in ("first", "poison", "second"):
        message = CloseCase(application_id=f"{case}-{suffix}", outcome="approved")
        envelope = envelope_for(message, case)
        value = message.model_dump_json().encode()
        sent[suffix] = (
            await publish(broker, topic, case, value, build_headers(envelope)),
            value,
            envelope,
        )
    unknown = new_envelope("onewindow.identity.NoSuchThing.v1", source="t", correlation_id=case)
    bad_json = envelope_for(CloseCase(application_id="x", outcome="approved"), case)
    sent["unknown"] = (
        await publish(broker, topic, case, b"{}", build_headers(unknown)),
        b"{}",
        unknown,
    )
    sent["bad json"] = (
        await publish(broker, topic, case, b"{not json", build_headers(bad_json)),
        b"{not json",
        bad_json,
    )
    last = CloseCase(application_id=f"{case}-last", outcome="approved")
    last_value = last.model_dump_json().encode()
    last_sent = await publish(
        broker, topic, case, last_value, build_headers(envelope_for(last, case))
    )

    await eventually(lambda: len(handled) == 3)

    assert handled == [f"{case}-first", f"{case}-second", f"{case}-last"]
    assert attempts[f"{case}-poison"] == ATTEMPTS
    poison_envelope = sent["poison"][2]
    assert (case, poison_envelope.id) in logged  # logs carried the message's ids

    dead = await read_topic(
        infrastructure, topic + ".dlq", lambda r: r.key == case.encode(), count=3
    )
    by_offset = {int(dict(r.headers)["x-dlq-original-offset"]): r for r in dead}
    assert len(by_offset) == 3
    partition = sent["first"][0].partition
    for name, expected_attempts, error_type in [
        ("poison", ATTEMPTS, "builtins.RuntimeError"),
        ("unknown", 0, "onewindow.contracts.catalog.UnknownMessageType"),
        ("bad json", 0, "pydantic_core._pydantic_core.ValidationError"),
    ]:
        metadata, value, envelope = sent[name]
        record = by_offset[metadata.offset]
        headers = {n: v.decode() for n, v in record.headers}
        assert record.value == value
        assert record.partition == partition == metadata.partition  # same key, same partition
        assert headers["x-dlq-attempts"] == str(expected_attempts)
        assert headers["x-dlq-error-type"] == error_type
        assert headers["x-dlq-original-topic"] == topic
        assert headers["x-dlq-original-partition"] == str(partition)
        assert headers["x-dlq-group"] == f"{own_prefix}dlq-test-{run_id}"
        assert headers["x-dlq-failed-at"].endswith("Z")
        assert headers["ce_id"] == envelope.id  # the original headers travel along
        assert headers["ce_type"] == envelope.type
    poison_headers = {n: v.decode() for n, v in by_offset[sent["poison"][0].offset].headers}
    assert poison_headers["x-dlq-error"] == f"cannot close {case}-poison"

    group = f"{own_prefix}dlq-test-{run_id}"
    partition_of_case = TopicPartition(topic, partition)
    await eventually_committed(infrastructure, group, partition_of_case, last_sent.offset + 1)


async def test_a_message_whose_dead_letter_cannot_be_written_is_delivered_again(
    infrastructure: Infrastructure,
    own_prefix: str,
    broker: KafkaBroker,
    run_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = f"case-{run_id}"
    attempts: Counter[str] = Counter()
    handled: list[str] = []

    async def handler(message: Message, envelope: Envelope) -> None:
        if not isinstance(message, CloseCase) or not message.application_id.startswith(case):
            return
        attempts[message.application_id] += 1
        if message.application_id.endswith("poison"):
            raise RuntimeError("still poisonous")
        handled.append(message.application_id)

    real_publish = broker.publish
    dlq_writes: list[str] = []

    async def dlq_down_once(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("key") == case.encode():  # not another test's record on the topic
            dlq_writes.append(args[1])
            if len(dlq_writes) == 1:
                raise ConnectionError("dead-letter topic unreachable")
        return await real_publish(*args, **kwargs)

    subscribe(
        broker,
        topic=TOPIC,
        group_id=f"dlq-down-{run_id}",
        handler=handler,
        topic_prefix=own_prefix,
        max_attempts=2,
        backoff_s=0.05,
        source="onewindow/dlq-test",
    )
    await broker.start()
    topic = own_prefix + TOPIC
    for suffix in ("poison", "after"):
        message = CloseCase(application_id=f"{case}-{suffix}", outcome="refused")
        value = message.model_dump_json().encode()
        await publish(broker, topic, case, value, build_headers(envelope_for(message, case)))
    monkeypatch.setattr(broker, "publish", dlq_down_once)

    await eventually(lambda: handled == [f"{case}-after"])

    assert attempts[f"{case}-poison"] == 4  # two attempts, not acknowledged, two more
    assert dlq_writes == [topic + ".dlq", topic + ".dlq"]
    dead = await read_topic(
        infrastructure, topic + ".dlq", lambda r: r.key == case.encode(), count=2, within=3
    )
    assert len(dead) == 1
    assert dict(dead[0].headers)["x-dlq-attempts"] == b"2"


async def eventually_committed(
    infrastructure: Infrastructure, group: str, partition: TopicPartition, offset: int
) -> None:
    """Wait until `group` has committed `offset` on `partition` (acknowledged up to it)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=infrastructure.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    committed: Any = None
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while committed != offset and asyncio.get_running_loop().time() < deadline:
            committed = await consumer.committed(partition)
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
    assert committed == offset


async def test_a_record_with_a_header_that_is_not_utf8_goes_to_the_dlq_at_once(
    infrastructure: Infrastructure, own_prefix: str, broker: KafkaBroker, run_id: str
) -> None:
    case = f"case-{run_id}"
    handled: list[str] = []

    async def handler(message: Message, envelope: Envelope) -> None:
        if isinstance(message, CloseCase) and message.application_id.startswith(case):
            handled.append(message.application_id)

    subscribe(
        broker,
        topic=TOPIC,
        group_id=f"dlq-bytes-{run_id}",
        handler=handler,
        topic_prefix=own_prefix,
        source="onewindow/dlq-test",
    )
    await broker.start()
    topic = own_prefix + TOPIC
    garbled = CloseCase(application_id=f"{case}-garbled", outcome="approved")
    headers = build_headers(envelope_for(garbled, case))
    headers = [(n, b"\xff\xfe" if n == "ce_source" else v) for n, v in headers]
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, garbled.model_dump_json().encode(), key=case.encode(), headers=headers
        )
    finally:
        await producer.stop()
    after = CloseCase(application_id=f"{case}-after", outcome="approved")
    await publish(
        broker,
        topic,
        case,
        after.model_dump_json().encode(),
        build_headers(envelope_for(after, case)),
    )

    await eventually(lambda: handled == [f"{case}-after"])

    [dead] = await read_topic(infrastructure, topic + ".dlq", lambda r: r.key == case.encode(), 1)
    dead_headers = {n: v.decode() for n, v in dead.headers}
    assert dead_headers["x-dlq-error-type"] == "onewindow.contracts.envelope.InvalidEnvelope"
    assert "ce_source" in dead_headers["x-dlq-error"]
    assert dead.value == garbled.model_dump_json().encode()
