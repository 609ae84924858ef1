"""The test's side of Kafka for service tests: send commands as their caller would,
keep every event of the watched topics (dropping at-least-once repeats by id)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from onewindow.contracts import catalog
from onewindow.contracts.envelope import Envelope, build_headers, new_envelope, parse_headers
from onewindow.contracts.message import Message
from onewindow.devstack.pytest_plugin import Infrastructure

# How long an answer may take: a consumer group's first join takes a few seconds.
PATIENCE_S = 60.0
Seen = tuple[Message, Envelope]


class Bus:
    """The test's side of Kafka: sends commands, keeps every event of the watched topics."""

    def __init__(self, infrastructure: Infrastructure, topics: list[str]) -> None:
        self.infrastructure = infrastructure
        self.producer = AIOKafkaProducer(
            bootstrap_servers=infrastructure.kafka_bootstrap, acks="all"
        )
        self.consumer = AIOKafkaConsumer(
            *(infrastructure.topic(t) for t in topics),
            bootstrap_servers=infrastructure.kafka_bootstrap,
            auto_offset_reset="earliest",
        )
        self.events: list[Seen] = []
        self._ids: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()
        self._task = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()
        await self.producer.stop()

    async def _read(self) -> None:
        async for record in self.consumer:
            envelope = parse_headers(record.headers)
            # Delivery is at least once (a relay may publish a commit again before it is
            # marked sent); receivers drop a repeat by its id, and so does this reader.
            if envelope.id in self._ids:
                continue
            self._ids.add(envelope.id)
            message = catalog.by_type(envelope.type).model_validate_json(record.value)
            self.events.append((message, envelope))

    async def send(self, message: Message, key: str, envelope: Envelope | None = None) -> Envelope:
        """Publish a command as the saga would; pass `envelope` again to redeliver it."""
        envelope = envelope or new_envelope(
            message.TYPE, source="onewindow/test-saga", correlation_id=key
        )
        await self.producer.send_and_wait(
            self.infrastructure.topic(catalog.topic_of(message).name),
            message.model_dump_json().encode(),
            key=key.encode(),
            headers=build_headers(envelope),
        )
        return envelope

    def seen(self, kind: type[Message], **fields: Any) -> list[Any]:
        return [
            m
            for m, _ in self.events
            if isinstance(m, kind) and all(getattr(m, k) == v for k, v in fields.items())
        ]

    async def wait_for(self, kind: type[Message], count: int = 1, **fields: Any) -> list[Any]:
        """The events of `kind` with `fields`, once `count` of them have arrived."""
        deadline = asyncio.get_running_loop().time() + PATIENCE_S
        while len(found := self.seen(kind, **fields)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{count} {kind.__name__} {fields} not seen; got {found}")
            await asyncio.sleep(0.05)
        return found

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        deadline = asyncio.get_running_loop().time() + PATIENCE_S
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.05)
