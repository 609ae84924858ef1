"""Every case checked from outside once a scenario has run: the topics read back from the
beginning, the permit services' event stores, and the operators' own invariant check
(`onewindow ops stuck --invariants`, the saga's case index)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from bench.load import FINAL_TYPES
from onewindow.contracts.topics import DLQ_SUFFIX, all_topic_names
from onewindow.contracts.v1 import applications as app

COMPENSATIONS = frozenset(
    {
        "onewindow.work-permit.WorkPermitReservationCancelled.v1",
        "onewindow.work-permit.WorkPermitRevoked.v1",
        "onewindow.residence-permit.ResidencePermitReservationCancelled.v1",
        "onewindow.residence-permit.ResidencePermitRevoked.v1",
    }
)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str
    type: str
    id: str
    correlation: str
    timestamp: float  # seconds, the producer's time
    headers: dict[str, str]
    value: bytes


async def read_topics(bootstrap: str, topics: Iterable[str]) -> list[Record]:
    """Every record now on `topics`, from the beginning to the current ends."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(
                consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
            )
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[Record] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for r in records:
                    headers = {k: (v or b"").decode(errors="replace") for k, v in r.headers}
                    found.append(
                        Record(
                            r.topic,
                            r.partition,
                            r.offset,
                            (r.key or b"").decode(errors="replace"),
                            headers.get("ce_type", ""),
                            headers.get("ce_id", ""),
                            headers.get("ce_correlationid", ""),
                            r.timestamp / 1000,
                            headers,
                            r.value or b"",
                        )
                    )
        return found
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


def unique(records: Iterable[Record]) -> list[Record]:
    """Records with an envelope id seen before dropped (the relay publishes at least once)."""
    seen: set[str] = set()
    kept = []
    for record in records:
        if record.id and record.id in seen:
            continue
        seen.add(record.id)
        kept.append(record)
    return kept


async def issued_numbers(mongodb_url: str, namespace: str) -> dict[str, list[tuple[str, str]]]:
    """Per permit service, every (permit number, stream) its event store records as issued."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url)
    found: dict[str, list[tuple[str, str]]] = {}
    try:
        for service in ("work_permit", "residence_permit"):
            commits = client[f"{namespace}_{service}"].commits
            # Stored under the stable name `<service>.Issued.v<n>` (bare `Issued` before).
            issued = {"Issued", f"{service.replace('_', '-')}.Issued.v1"}
            found[service] = [
                (str(e["data"]["permit_number"]), str(doc["stream"]))
                async for doc in commits.find({"events.type": {"$in": sorted(issued)}})
                for e in doc["events"]
                if e["type"] in issued
            ]
    finally:
        await client.close()
    return found


async def invariants(env: Mapping[str, str]) -> dict[str, Any]:
    """The operators' checks (`ops stuck --invariants`, open cases) on this stack."""
    from onewindow.cli.ops.stuck import broken_cases, stuck_cases

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        now = datetime.now(UTC)
        broken = await broken_cases(now=now)
        still_open = await stuck_cases(timedelta(0), now=now)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    rules = Counter(rule.split(":")[0] for _, rule in broken)
    return {
        "broken": len(broken),
        "rules": dict(rules),
        "one_valid_permit": rules.get("decided with exactly one valid permit", 0),
        "open_cases": len(still_open),
    }


async def examine(
    env: Mapping[str, str],
    namespace: str,
    accepted: Iterable[str],
    *,
    poison: frozenset[str] = frozenset(),
    since: float = 0.0,
) -> dict[str, Any]:
    """The figures every scenario reports about the cases in `accepted` (dead letters:
    those written from `since` on)."""
    bootstrap, prefix = env["KAFKA_BOOTSTRAP_SERVERS"], env["ONEWINDOW_TOPIC_PREFIX"]
    ours = set(accepted)
    names = all_topic_names()
    raw = await read_topics(bootstrap, [prefix + n for n in names])
    # A dead letter keeps the envelope of the message it holds: never a repeat of it.
    dead = [r for r in raw if r.topic.endswith(DLQ_SUFFIX) and r.timestamp >= since]
    records = unique(r for r in raw if not r.topic.endswith(DLQ_SUFFIX))
    finals: dict[str, str] = {}
    for r in records:
        if r.type in FINAL_TYPES and r.key in ours:
            finals.setdefault(r.key, r.type)
    approved = sum(1 for t in finals.values() if t == app.ApplicationApproved.TYPE)
    refused = sum(1 for t in finals.values() if t == app.ApplicationRefused.TYPE)
    compensations = sum(1 for r in records if r.type in COMPENSATIONS and r.key in ours)
    sent = [r for r in records if r.type.endswith("NotificationSent.v1") and r.key in ours]
    notices = Counter(_notice(r) for r in sent)
    numbers = await issued_numbers(env["MONGODB_URL"], namespace)
    duplicates = 0
    for issued in numbers.values():
        per_number = Counter(n for n, _ in issued)
        duplicates += sum(count - 1 for count in per_number.values() if count > 1)
    checked = await invariants(env)
    return {
        "accepted": len(ours),
        "final": len(finals),
        "approved": approved,
        "refused": refused,
        "lost": len(ours - set(finals)),
        "lost_ids": sorted(ours - set(finals))[:10],
        "duplicate_permit_numbers": duplicates,
        "one_valid_permit": checked["one_valid_permit"],
        "invariant_violations": checked["broken"],
        "invariant_rules": checked["rules"],
        "stuck": checked["open_cases"],
        "notices": len(sent),
        "notices_sent_twice": sum(count - 1 for count in notices.values() if count > 1),
        "compensations": compensations,
        "dead_letters": sum(1 for r in dead if r.correlation not in poison),
        "dead_letters_poison": sum(1 for r in dead if r.correlation in poison),
        "dead_letter_list": [
            {
                "topic": r.topic.removeprefix(prefix),
                "case": r.correlation,
                "error": r.headers.get("x-dlq-error-type"),
                "attempts": r.headers.get("x-dlq-attempts"),
            }
            for r in dead
        ][:20],
        "final_times": sorted(
            r.timestamp for r in records if r.type in FINAL_TYPES and r.key in ours
        ),
    }


def _notice(record: Record) -> tuple[str, ...]:
    import json

    body = json.loads(record.value or b"{}")
    return (
        str(body.get("application_id")),
        str(body.get("cause_event_id")),
        str(body.get("template")),
        str(body.get("channel")),
        # The delivery's id (one per event, recipient and channel), not the recipient:
        # that is sealed under the case's key (runtime.vault), differently each time.
        str(body.get("notification_id")),
    )


async def committed(bootstrap: str) -> dict[tuple[str, str, int], int]:
    """Every group's committed offset per (group, topic, partition)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found: dict[tuple[str, str, int], int] = {}
        for group, _ in await admin.list_consumer_groups():
            offsets = await admin.list_consumer_group_offsets(group)
            for tp, meta in offsets.items():
                found[(group, tp.topic, tp.partition)] = meta.offset
        return found
    finally:
        await admin.close()
