"""The message flow as it actually happened, read back from the namespace's topics.

Every record carries CloudEvents headers: its id, type, the application it belongs to
(`ce_correlationid`), the message that caused it (`ce_causationid`) and when it was
made (`ce_time`); Kafka adds when the producer took it (the record's CreateTime).
From these the bench counts the Kafka messages per application and walks the
causation chain back from each `ApplicationApproved`: that chain is the critical path
(a join such as "both sides reserved" names the later of its two causes), and its
length is the number of hops. The gaps between the timestamps say where the time goes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.stats import summary
from onewindow.contracts.envelope import InvalidEnvelope, parse_headers
from onewindow.contracts.topics import DEFAULT_PARTITIONS
from onewindow.contracts.v1 import applications as app


@dataclass(frozen=True)
class Sent:
    """One record on the bus, as the bench reads it back."""

    topic: str  # the registry name, without the namespace prefix
    id: str
    type: str
    correlation_id: str
    causation_id: str | None
    created: float  # ce_time, epoch seconds
    appended: float  # the record's CreateTime: when the producer took it
    size: int  # value and headers, bytes

    @property
    def name(self) -> str:
        """The short name: `WorkPermitReserved` of `onewindow.work-permit.WorkPermitReserved.v1`."""
        parts = self.type.split(".")
        return parts[-2] if len(parts) >= 2 else self.type


async def read_topics(bootstrap: str, prefix: str, names: Iterable[str]) -> list[Sent]:
    """Every record of the prefixed topics `names`, from their beginning to their end now."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(prefix + name, p) for name in names for p in range(DEFAULT_PARTITIONS)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp, end in ends.items() if end > 0}
        found: list[Sent] = []
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if (sent := _sent(tp.topic.removeprefix(prefix), record)) is not None:
                        found.append(sent)
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return found
    finally:
        await consumer.stop()


def _sent(topic: str, record: Any) -> Sent | None:
    try:
        envelope = parse_headers(record.headers)
    except InvalidEnvelope:
        return None
    size = len(record.value or b"") + sum(len(k) + len(v or b"") for k, v in record.headers)
    return Sent(
        topic=topic,
        id=envelope.id,
        type=envelope.type,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        created=envelope.time.timestamp(),
        appended=record.timestamp / 1000,
        size=size,
    )


def messages_per_application(records: Sequence[Sent], cases: set[str]) -> dict[str, Any]:
    """How many Kafka messages `cases` caused on average, in total and by type."""
    mine = [r for r in records if r.correlation_id in cases]
    by_type = Counter(f"{r.topic}: {r.name}" for r in mine)
    count = len(cases) or 1
    return {
        "cases": len(cases),
        "messages": len(mine),
        "per_application": len(mine) / count,
        "bytes_per_message": (sum(r.size for r in mine) / len(mine)) if mine else 0.0,
        "by_type": {name: n / count for name, n in sorted(by_type.items())},
    }


def critical_path(by_id: dict[str, Sent], final: Sent) -> list[Sent]:
    """The causation chain that ends in `final`, first message first."""
    chain = [final]
    while (cause := chain[-1].causation_id) is not None and cause in by_id:
        chain.append(by_id[cause])
        if len(chain) > 1000:  # a cycle would be a bug in the data; do not hang on it
            break
    return chain[::-1]


def critical_paths(
    records: Sequence[Sent], posted: dict[str, float], seen: dict[str, float]
) -> dict[str, Any]:
    """The most common critical path of an approval, its hops and where its time goes.

    `posted` and `seen` give, per application id, when the client sent the POST and when
    it read the decision; they bound the first and the last step."""
    by_id = {r.id: r for r in records}
    shapes: dict[tuple[str, ...], list[list[Sent]]] = defaultdict(list)
    for record in records:
        if record.type == app.ApplicationApproved.TYPE and record.correlation_id in posted:
            path = critical_path(by_id, record)
            shapes[tuple(f"{r.topic}: {r.name}" for r in path)].append(path)
    if not shapes:
        return {"hops": 0, "paths": 0}
    shape, paths = max(shapes.items(), key=lambda item: len(item[1]))
    steps: list[dict[str, Any]] = []
    first = [p[0].created - posted[p[0].correlation_id] for p in paths]
    steps.append({"step": "POST → command made (gateway)", **_ms(first)})
    for i, name in enumerate(shape):
        to_bus = [p[i].appended - p[i].created for p in paths]
        steps.append({"step": f"{name} made → on the bus", **_ms(to_bus)})
        if i + 1 < len(shape):
            handled = [p[i + 1].created - p[i].appended for p in paths]
            steps.append({"step": f"{name} on the bus → handled", **_ms(handled)})
    last = [
        seen[p[-1].correlation_id] - p[-1].appended for p in paths if p[-1].correlation_id in seen
    ]
    steps.append({"step": "approval on the bus → read through GET", **_ms(last)})
    return {
        "hops": len(shape),
        "path": list(shape),
        "paths": sum(len(p) for p in shapes.values()),
        "share_of_most_common": len(paths) / sum(len(p) for p in shapes.values()),
        "hop_counts": sorted({len(s) for s in shapes}),
        "steps": steps,
    }


def _ms(seconds: Sequence[float]) -> dict[str, float | int]:
    found = summary([s * 1000 for s in seconds])
    return {f"{k}_ms" if k != "n" else k: v for k, v in found.items() if k in ("n", "p50", "p99")}
