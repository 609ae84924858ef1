"""A database or broker outage is waited out, never dead-lettered. Real Kafka, and a
FerretDB of this module's own on the stack's PostgreSQL, stopped and started on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from pydantic import BaseModel
from pymongo import errors as mongo_errors

from onewindow.contracts.envelope import Envelope, build_headers, new_envelope, parse_headers
from onewindow.contracts.message import Message
from onewindow.contracts.topics import all_topic_names
from onewindow.contracts.v1.identity import CaseClosed, CloseCase
from onewindow.devstack import infra
from onewindow.devstack.processes import Managed
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime.eventstore import EventStore, Stream, outgoing
from onewindow.runtime.handling import Decision, handle
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.outages import BROKER, DATABASE, Outages, unavailable
from onewindow.runtime.outbox import OutboxRelay
from onewindow.runtime.subscriber import subscribe
from onewindow.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration

TOPIC = "identity.commands"
OUT_TOPIC = "identity.events"
OUTAGES_LOG = "onewindow.runtime.outages"


class Closed(BaseModel):
    outcome: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
async def own_prefix(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """Topics of this module's own, deleted afterwards."""
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
async def own_ferretdb(infrastructure: Infrastructure) -> AsyncIterator[infra.DedicatedFerretDB]:
    """A FerretDB that only this test uses, so stopping it disturbs nobody; dropped after."""
    ferretdb = infra.DedicatedFerretDB(
        f"{infrastructure.namespace}_{uuid.uuid4().hex[:6]}", free_port(), pool=20
    )
    await asyncio.to_thread(ferretdb.start)
    try:
        yield ferretdb
    finally:
        await asyncio.to_thread(ferretdb.drop)


@pytest.fixture
async def broker(infrastructure: Infrastructure) -> AsyncIterator[KafkaBroker]:
    created = make_broker(infrastructure.kafka_bootstrap, client_id="outage-test")
    yield created
    await created.stop()


def quick_outages() -> Outages:
    """An outage record of the test's own whose pauses are short."""
    outages = Outages()
    outages.pause = lambda tries: 0.02  # type: ignore[method-assign]
    return outages


async def publish(
    broker: KafkaBroker, topic: str, message: CloseCase, key: str | None = None
) -> Envelope:
    envelope = new_envelope(message.TYPE, source="test", correlation_id=message.application_id)
    await broker.publish(
        message.model_dump_json().encode(),
        topic,
        key=(key or message.application_id).encode(),
        headers={n: v.decode() for n, v in build_headers(envelope)},
    )
    return envelope


async def records_on(
    infrastructure: Infrastructure, topic: str, wanted: Callable[[Any], bool]
) -> list[Any]:
    """Every record now on `topic` that `wanted` accepts (read up to the end offsets)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=infrastructure.kafka_bootstrap)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[Any] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            batches = await consumer.getmany(timeout_ms=500)
            found += [r for records in batches.values() for r in records if wanted(r)]
        return found
    finally:
        await consumer.stop()


async def eventually(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {within:.0f} s: {what}")
        await asyncio.sleep(0.1)


def metric(name: str, dependency: str) -> float:
    return REGISTRY.get_sample_value(name, {"dependency": dependency}) or 0.0


async def test_ferretdb_without_its_postgresql_fails_every_command_as_database_unavailable(
    tmp_path: Path,
) -> None:
    # PostgreSQL that does not answer at all: FerretDB is up, its socket is not.
    port = free_port()
    ferretdb = Managed(f"ferretdb-nopg-{port}")
    url = f"postgres:///ferretdb?host={tmp_path}&port=5432&user={infra.PG_ROLE}"
    ferretdb.start(
        [
            str(infra.ferretdb_binary()),
            f"--listen-addr=127.0.0.1:{port}",
            "--handler=postgresql",
            f"--postgresql-url={url}",
        ]
    )
    client = make_client(f"mongodb://127.0.0.1:{port}/")
    try:
        await asyncio.to_thread(infra.wait_for_port, port, "FerretDB", ferretdb, 60)
        db = client["nopg"]
        errors: list[BaseException] = []
        for command in (
            lambda: db.command("ping"),
            lambda: db.commits.insert_many([{"_id": "a"}, {"_id": "b"}], ordered=False),
            lambda: db.commits.find_one({"_id": "a"}),
            lambda: db.commits.update_one({"_id": "a"}, {"$set": {"x": 1}}),
            lambda: db.commits.create_index("stream"),
        ):
            with pytest.raises(mongo_errors.OperationFailure) as raised:
                await command()
            errors.append(raised.value)
    finally:
        await client.close()
        await asyncio.to_thread(ferretdb.stop)

    assert [unavailable(e) for e in errors] == [DATABASE] * 5, [str(e)[:200] for e in errors]


async def test_ferretdb_whose_postgresql_connections_are_cut_fails_as_database_unavailable(
    own_ferretdb: infra.DedicatedFerretDB,
) -> None:
    client = make_client(own_ferretdb.url)
    db = client["cut"]
    errors: list[BaseException] = []

    async def writer(name: str) -> None:
        for i in range(400):
            try:
                await db.t.insert_many([{"w": name, "i": i}, {"w": name, "i": -i}])
                await db.t.find_one({"w": name, "i": i})
            except mongo_errors.PyMongoError as exc:
                errors.append(exc)

    async def cutter() -> None:
        for _ in range(6):
            await asyncio.sleep(0.3)
            await asyncio.to_thread(own_ferretdb.cut_postgres_connections)

    try:
        await asyncio.gather(cutter(), *(writer(f"w{n}") for n in range(4)))
    finally:
        await client.close()

    assert errors, "no command failed while PostgreSQL's connections were cut"
    assert {unavailable(e) for e in errors} == {DATABASE}, [str(e)[:200] for e in errors]


async def test_a_subscriber_waits_out_a_database_outage_and_handles_every_message_once(
    infrastructure: Infrastructure,
    own_prefix: str,
    own_ferretdb: infra.DedicatedFerretDB,
    broker: KafkaBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = uuid.uuid4().hex[:8]
    client = make_client(own_ferretdb.url)
    store = EventStore(client["outage"], f"commits_{run}")
    await store.ensure_indexes()
    outages = Outages()  # the subscriber's and the relay's, as in a service process
    relay = OutboxRelay(store, broker, topic_prefix=own_prefix, outages=outages)
    returned: Counter[str] = Counter()

    async def handler(message: Message, envelope: Envelope) -> None:
        if not isinstance(message, CloseCase) or not message.application_id.startswith(run):
            return

        def decide(stream: Stream) -> Decision:
            closed = CaseClosed(application_id=message.application_id, person_ref="p-1")
            sent = outgoing(
                closed,
                key=message.application_id,
                correlation_id=message.application_id,
                source="onewindow/outage-test",
                cause=envelope,
            )
            return Decision(events=[Closed(outcome=message.outcome)], outbox=[sent])

        await handle(
            store, f"case-{message.application_id}", envelope.id, lambda stream: stream, decide
        )
        returned[envelope.id] += 1

    subscribe(
        broker,
        topic=TOPIC,
        group_id=f"outage-{run}",
        handler=handler,
        topic_prefix=own_prefix,
        max_attempts=3,  # today's behaviour would dead-letter within a second
        backoff_s=0.05,
        source="onewindow/outage-test",
        outages=outages,
    )
    caplog.set_level(logging.INFO, logger=OUTAGES_LOG)
    outages_before = metric("onewindow_dependency_outages_total", DATABASE)
    await broker.start()
    relay_task = asyncio.create_task(relay.run())
    topic = own_prefix + TOPIC
    try:
        sent = [
            await publish(broker, topic, CloseCase(application_id=f"{run}-{i}", outcome="approved"))
            for i in range(10)
        ]
        await eventually(lambda: len(returned) >= 3, 60, "the first messages handled")

        await asyncio.to_thread(own_ferretdb.stop)  # the database goes away for ~10 s
        stopped = time.monotonic()
        for i in range(10, 40):
            message = CloseCase(application_id=f"{run}-{i}", outcome="refused")
            sent.append(await publish(broker, topic, message))
            await asyncio.sleep(0.2)
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - stopped)))
        during = len(returned)
        out_for = outages.out_for(DATABASE)
        await asyncio.to_thread(own_ferretdb.start)

        await eventually(
            lambda: len(returned) == len(sent), 90, f"{len(sent)} handled, {len(returned)} so far"
        )
        await eventually(lambda: outages.out_for(DATABASE) is None, 30, "outage over")
        # The relay publishes the last commits' messages in its own time after the outage
        # (it waited it out too): it stops once none is pending, never before.
        deadline = time.monotonic() + 30
        while pending := await store.pending(100):
            assert time.monotonic() < deadline, f"{len(pending)} still pending after 30 s"
            await asyncio.sleep(0.1)
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task

    # The outage held the messages back: they were not all handled while it lasted.
    assert during < len(sent)
    assert out_for is not None
    assert out_for >= 5
    # Every message handled exactly once: its id recorded in exactly one commit.
    handled = Counter[str]()
    async for commit in store.commits.find({}, {"handled": True}):
        handled.update(commit["handled"])
    await client.close()
    assert handled == Counter({e.id: 1 for e in sent})
    # Nothing dead-lettered; every decision's message published.
    ours = run.encode()
    dead = await records_on(infrastructure, topic + ".dlq", lambda r: r.key.startswith(ours))
    assert dead == []
    published = await records_on(
        infrastructure, own_prefix + OUT_TOPIC, lambda r: r.key.startswith(ours)
    )
    assert {parse_headers(r.headers).causation_id for r in published} == {e.id for e in sent}
    # One warning when the outage began, one line when it ended; the metric counted it.
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == OUTAGES_LOG]
    assert lines[0] == ("WARNING", "database unavailable; work waits until it answers")
    assert [level for level, _ in lines] == ["WARNING", "INFO"], lines
    assert lines[1][1].startswith("database answers again after ")
    assert metric("onewindow_dependency_outages_total", DATABASE) == outages_before + 1


async def test_tries_lost_to_an_outage_are_no_attempts_and_a_dead_letter_waits_for_the_broker(
    infrastructure: Infrastructure,
    own_prefix: str,
    broker: KafkaBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = uuid.uuid4().hex[:8]
    tries: Counter[str] = Counter()
    handled: list[str] = []

    async def handler(message: Message, envelope: Envelope) -> None:
        if not isinstance(message, CloseCase) or not message.application_id.startswith(run):
            return
        tries[message.application_id] += 1
        if message.application_id.endswith("flaky") and tries[message.application_id] <= 10:
            raise mongo_errors.ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")
        if message.application_id.endswith("poison"):
            raise ValueError("no such case")
        handled.append(message.application_id)

    subscribe(
        broker,
        topic=TOPIC,
        group_id=f"outage-fake-{run}",
        handler=handler,
        topic_prefix=own_prefix,
        max_attempts=2,
        backoff_s=0.02,
        source="onewindow/outage-test",
        outages=quick_outages(),
    )
    await broker.start()
    topic = own_prefix + TOPIC
    for suffix in ("flaky", "poison", "after"):
        message = CloseCase(application_id=f"{run}-{suffix}", outcome="approved")
        await publish(broker, topic, message, key=run)  # one partition, in this order
    real_publish = broker.publish
    dlq_tries: list[str] = []

    async def broker_away_three_times(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("key", b"").startswith(run.encode()):
            dlq_tries.append(args[1])
            if len(dlq_tries) <= 3:
                raise KafkaConnectionError("no connection to node 1")
        return await real_publish(*args, **kwargs)

    monkeypatch.setattr(broker, "publish", broker_away_three_times)

    await eventually(lambda: len(handled) == 2, 60, "flaky and after handled")
    await eventually(lambda: len(dlq_tries) == 4, 30, "the dead letter written")

    assert handled == [f"{run}-flaky", f"{run}-after"]
    assert tries[f"{run}-flaky"] == 11  # ten tries lost to the outage, then handled
    assert tries[f"{run}-poison"] == 2  # two attempts; the broker's outage cost none
    dead = await records_on(
        infrastructure, topic + ".dlq", lambda r: r.key.startswith(run.encode())
    )
    assert len(dead) == 1
    assert CloseCase.model_validate_json(dead[0].value).application_id == f"{run}-poison"
    assert dict(dead[0].headers)["x-dlq-attempts"] == b"2"


async def test_the_outbox_relay_keeps_publishing_through_a_broker_outage(
    infrastructure: Infrastructure,
    own_prefix: str,
    broker: KafkaBroker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = uuid.uuid4().hex[:8]
    client = make_client(infrastructure.mongodb_url)
    database = f"{infrastructure.namespace}_relay_outage"
    store = EventStore(client[database], f"commits_{run}")
    await store.ensure_indexes()
    await broker.start()
    outages = quick_outages()
    relay = OutboxRelay(store, broker, topic_prefix=own_prefix, outages=outages)
    real_publish = broker.publish
    away_until = time.monotonic() + 2.0
    refused = 0

    async def broker_away_for_two_seconds(*args: Any, **kwargs: Any) -> Any:
        nonlocal refused
        if time.monotonic() < away_until:
            refused += 1
            raise KafkaConnectionError("no connection to node 1")
        return await real_publish(*args, **kwargs)

    monkeypatch.setattr(broker, "publish", broker_away_for_two_seconds)
    caplog.set_level(logging.INFO)
    ids = []
    for i in range(3):
        case = f"{run}-{i}"
        item = outgoing(
            CaseClosed(application_id=case, person_ref="p-1"),
            key=case,
            correlation_id=case,
            source="t",
            cause=None,
        )
        ids.append(item.envelope.id)
        await store.append(f"case-{case}", 0, [Closed(outcome="approved")], [item])
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: time.monotonic() > away_until + 0.5, 10, "the outage over")
        await eventually(
            lambda: outages.out_for(BROKER) is None and refused > 0, 30, "broker answering"
        )
        await eventually(lambda: not relay._unmarked, 10, "published commits marked")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    try:
        assert await store.pending(10) == []
    finally:
        await client.drop_database(database)
        await client.close()

    published = await records_on(
        infrastructure, own_prefix + OUT_TOPIC, lambda r: r.key.startswith(run.encode())
    )
    assert {parse_headers(r.headers).id for r in published} == set(ids)
    assert refused > 5  # it kept trying...
    relay_lines = [r for r in caplog.records if r.name.startswith("onewindow.runtime.out")]
    warnings = [r.getMessage() for r in relay_lines if r.levelno >= logging.WARNING]
    assert warnings == ["broker unavailable; work waits until it answers"]  # ...quietly
