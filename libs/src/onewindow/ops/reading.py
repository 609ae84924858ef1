"""Reading the bus as an observer: an aiokafka consumer without a group.

An observer commits nothing and joins no group, so watching never moves a service's
offsets or triggers a rebalance. Partitions are assigned by hand, from the topic
registry (the topics are created from it, with their dead-letter twins).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import murmur2

from onewindow.contracts.topics import DLQ_SUFFIX, REGISTRY, Topic

FETCH_TIMEOUT_MS = 500
RECORD_TIMEOUT_S = 15.0


def registry_topic(name: str) -> Topic:
    """The registry topic of a name, of its dead-letter twin too (`KeyError` if unknown)."""
    base = name.removesuffix(DLQ_SUFFIX)
    for topic in REGISTRY:
        if topic.name == base:
            return topic
    raise KeyError(name)


def every_topic(*, dead_letters: bool = True) -> list[str]:
    """Every registry topic name (without prefix), with the `.dlq` twins if asked."""
    names = [topic.name for topic in REGISTRY]
    return names + [topic.dlq for topic in REGISTRY] if dead_letters else names


def partition_of(key: str, partitions: int) -> int:
    """The partition a key is written to (the default partitioner's murmur2, as producers)."""
    hashed: int = murmur2(key.encode("utf-8"))
    return (hashed & 0x7FFFFFFF) % partitions


class BusReader:
    """Reads some topics of the bus (registry names, prefixed here) without a group.

    `key` narrows each topic to the one partition that key is written to.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        *,
        topic_prefix: str = "",
        key: str | None = None,
        client_id: str = "onewindow-ops",
    ) -> None:
        self.topic_prefix = topic_prefix
        self.partitions = [
            TopicPartition(topic_prefix + name, partition)
            for name in topics
            for partition in _partitions(registry_topic(name), key)
        ]
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            client_id=client_id,
            auto_offset_reset="earliest",
        )

    async def __aenter__(self) -> BusReader:
        await self._consumer.start()
        self._consumer.assign(self.partitions)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._consumer.stop()

    async def from_beginning(self) -> None:
        await self._consumer.seek_to_beginning(*self.partitions)

    async def from_end(self) -> None:
        """Start at the end, resolved now, so nothing published after this call is missed."""
        ends = await self.end_offsets()
        for partition, offset in ends.items():
            self._consumer.seek(partition, offset)

    async def end_offsets(self) -> dict[Any, int]:
        ends: dict[Any, int] = await self._consumer.end_offsets(self.partitions)
        return ends

    async def beginning_offsets(self) -> dict[Any, int]:
        starts: dict[Any, int] = await self._consumer.beginning_offsets(self.partitions)
        return starts

    async def poll(self, timeout_ms: int = FETCH_TIMEOUT_MS) -> list[Any]:
        """The records that arrived within `timeout_ms`, oldest first (in order per partition)."""
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        records = [record for batch in batches.values() for record in batch]
        records.sort(key=lambda r: (r.timestamp, r.topic, r.partition, r.offset))
        return records

    async def follow(self, *, seconds: float | None = None) -> AsyncGenerator[Any, None]:
        """Every record as it arrives, in order per partition; for `seconds` if given."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while deadline is None or time.monotonic() < deadline:
            wait_ms = FETCH_TIMEOUT_MS
            if deadline is not None:
                wait_ms = max(1, min(wait_ms, int((deadline - time.monotonic()) * 1000)))
            for record in await self.poll(wait_ms):
                yield record
            await asyncio.sleep(0)

    async def until_end(self) -> AsyncGenerator[Any, None]:
        """Every record from the current position up to the end offsets of now."""
        ends = await self.end_offsets()
        pending = {tp for tp, end in ends.items() if await self._position(tp) < end}
        while pending:
            batches = await self._consumer.getmany(*pending, timeout_ms=FETCH_TIMEOUT_MS)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
            for tp in list(pending):
                if await self._position(tp) >= ends[tp]:
                    pending.discard(tp)

    async def record_at(self, topic: str, partition: int, offset: int) -> Any | None:
        """The record at `offset` of a partition (registry topic name), None if there is none."""
        wanted = TopicPartition(self.topic_prefix + topic, partition)
        if wanted not in self.partitions:
            raise KeyError(f"{topic}/{partition} is not read by this reader")
        starts, ends = await self.beginning_offsets(), await self.end_offsets()
        if not starts[wanted] <= offset < ends[wanted]:
            return None
        self._consumer.seek(wanted, offset)
        deadline = time.monotonic() + RECORD_TIMEOUT_S
        while time.monotonic() < deadline:
            batches = await self._consumer.getmany(wanted, timeout_ms=FETCH_TIMEOUT_MS)
            for record in batches.get(wanted, []):
                if record.offset >= offset:
                    return record if record.offset == offset else None
        return None

    async def _position(self, partition: Any) -> int:
        return int(await self._consumer.position(partition))


def _partitions(topic: Topic, key: str | None) -> list[int]:
    if key is None:
        return list(range(topic.partitions))
    return [partition_of(key, topic.partitions)]
