"""What the operators' console shows at a glance, from the read model and the bus.

Cases by status, stuck cases and missed deadlines come from the application read model
(`applications_view`, this gateway's own projection); dead-letter counts from the
`.dlq` topics' offsets, less those an operator has already handled (`dlq_actions`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts.topics import REGISTRY
from onewindow.contracts.v1.applications import FINAL_STATUSES
from onewindow.gateway.readmodel.projection import VIEWS
from onewindow.ops.deadletters import DeadLetterId, actions_by_id
from onewindow.ops.reading import BusReader

LISTED = 50  # cases listed per panel; the counts are complete


def _moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _case(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    updated = _moment(doc.get("updated_at")) or _moment(doc.get("submitted_at"))
    deadline = doc.get("deadline") or {}
    return {
        "id": str(doc["_id"]),
        "status": doc.get("status", "submitted"),
        "updated_at": updated.isoformat() if updated else None,
        "idle_s": int((now - updated).total_seconds()) if updated else None,
        "due_on": deadline.get("due_on"),
        "clock": deadline.get("clock"),
        "escalated_at": doc.get("escalated_at"),
    }


async def cases_overview(
    db: AsyncDatabase[dict[str, Any]], *, now: datetime, stuck_after: timedelta
) -> dict[str, Any]:
    """Counts by status, open cases idle longer than `stuck_after`, escalated cases."""
    fields = dict.fromkeys(
        ("status", "updated_at", "submitted_at", "deadline", "escalated", "escalated_at"), 1
    )
    by_status: Counter[str] = Counter()
    stuck: list[dict[str, Any]] = []
    escalated: list[dict[str, Any]] = []
    async for doc in db[VIEWS].find({}, fields):
        case = _case(doc, now)
        by_status[case["status"]] += 1
        open_case = case["status"] not in FINAL_STATUSES
        if (
            open_case
            and case["idle_s"] is not None
            and case["idle_s"] >= stuck_after.total_seconds()
        ):
            stuck.append(case)
        if doc.get("escalated"):
            escalated.append(case)
    stuck.sort(key=lambda c: -(c["idle_s"] or 0))
    escalated.sort(key=lambda c: str(c["escalated_at"]), reverse=True)
    return {
        "by_status": dict(sorted(by_status.items())),
        "total": sum(by_status.values()),
        "stuck_after_s": int(stuck_after.total_seconds()),
        "stuck": stuck[:LISTED],
        "stuck_count": len(stuck),
        "escalated": escalated[:LISTED],
        "escalated_count": len(escalated),
    }


async def dead_letter_counts(
    ops_db: AsyncDatabase[dict[str, Any]], bootstrap_servers: str, topic_prefix: str
) -> dict[str, dict[str, int]]:
    """Per `.dlq` topic: records on it, how many an operator handled, how many wait."""
    names = [topic.dlq for topic in REGISTRY]
    async with BusReader(
        bootstrap_servers, names, topic_prefix=topic_prefix, client_id="onewindow-ops-console"
    ) as reader:
        starts = await reader.beginning_offsets()
        ends = await reader.end_offsets()
    totals: Counter[str] = Counter()
    for partition, end in ends.items():
        totals[partition.topic.removeprefix(topic_prefix)] += end - starts.get(partition, 0)
    handled: Counter[str] = Counter()
    for action_id in await actions_by_id(ops_db):
        handled[DeadLetterId.parse(action_id).topic] += 1
    return {
        name: {
            "total": totals[name],
            "handled": handled[name],
            "waiting": max(0, totals[name] - handled[name]),
        }
        for name in names
    }
