"""What the raw broker allows on this machine, with the system's own producer settings.

Both baselines use plain aiokafka in one Python process, topics shaped like the
registry's (6 partitions, replication 1) and producers built as
`onewindow.runtime.kafka` builds them (`acks="all"`, idempotent), with records the
size of the system's messages and the same CloudEvents headers.

- relay: consume → produce → commit once per batch (what an outbox-free service
  that did no work at all could forward): messages per second.
- rtt: one message in flight, echoed by a consumer–producer pair: round trips.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.stats import summary
from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.contracts.topics import DEFAULT_PARTITIONS
from onewindow.runtime.kafka import PRODUCER_SETTINGS

PAYLOAD_BYTES = 900  # about the system's mean record value (the bench measures it too)


def _producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_SETTINGS)


def _headers() -> list[tuple[str, bytes]]:
    return build_headers(
        new_envelope(
            "onewindow.bench.Probe.v1", source="onewindow/bench", correlation_id=str(uuid.uuid4())
        )
    )


def _consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def relay(
    bootstrap: str,
    source: str,
    target: str,
    messages: int,
    progress: Callable[[int], None] = lambda _: None,
) -> dict[str, Any]:
    """Fill `source` with `messages` records, then relay them all to `target`."""
    producer = _producer(bootstrap)
    await producer.start()
    try:
        value = b"x" * PAYLOAD_BYTES
        headers = _headers()
        pending = [
            await producer.send(source, value, key=str(i).encode(), headers=headers)
            for i in range(messages)
        ]
        await asyncio.gather(*pending)
        consumer = _consumer(bootstrap, source, f"{source}.relay")
        await consumer.start()
        try:
            moved, started = 0, None
            while moved < messages:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                if not batches:
                    continue
                started = started or time.perf_counter()
                sends = [
                    await producer.send(target, r.value, key=r.key, headers=list(r.headers))
                    for records in batches.values()
                    for r in records
                ]
                await asyncio.gather(*sends)
                await consumer.commit()
                moved += len(sends)
                progress(len(sends))
            elapsed = time.perf_counter() - (started or time.perf_counter())
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
    return {
        "messages": moved,
        "seconds": elapsed,
        "messages_per_s": moved / elapsed if elapsed > 0 else 0.0,
        "payload_bytes": PAYLOAD_BYTES,
    }


async def rtt(
    bootstrap: str,
    requests: str,
    replies: str,
    rounds: int,
    progress: Callable[[int], None] = lambda _: None,
) -> dict[str, Any]:
    """Echo `rounds` messages one at a time through `requests` and back on `replies`."""
    client, server = _producer(bootstrap), _producer(bootstrap)
    listen = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    answers = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    for part in (client, server, listen, answers):
        await part.start()
    try:
        for consumer, topic in ((listen, requests), (answers, replies)):
            partitions = [TopicPartition(topic, p) for p in range(DEFAULT_PARTITIONS)]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
        echo = asyncio.create_task(_echo(listen, server, replies))
        value, headers = b"x" * PAYLOAD_BYTES, _headers()
        times: list[float] = []
        for i in range(rounds + 20):  # the first 20 warm the connections up, not counted
            key = uuid.uuid4().bytes
            started = time.perf_counter()
            await (await client.send(requests, value, key=key, headers=headers))
            await _reply_to(answers, key)
            if i >= 20:
                times.append(time.perf_counter() - started)
                progress(1)
        echo.cancel()
    finally:
        for part in (client, server, listen, answers):
            await part.stop()
    found = summary(times)
    return {"rounds": len(times), **{f"{k}_ms": v * 1000 for k, v in found.items() if k != "n"}}


async def _echo(listen: AIOKafkaConsumer, server: AIOKafkaProducer, replies: str) -> None:
    while True:
        batches = await listen.getmany(timeout_ms=1000)
        for records in batches.values():
            for record in records:
                await (
                    await server.send(
                        replies, record.value, key=record.key, headers=list(record.headers)
                    )
                )


async def _reply_to(answers: AIOKafkaConsumer, key: bytes) -> None:
    while True:
        batches = await answers.getmany(timeout_ms=1000)
        if any(r.key == key for records in batches.values() for r in records):
            return
