"""`onewindow ops stuck`: open cases that have not moved for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from onewindow.cli.ops.common import (
    APPLICATIONS_DB,
    console,
    database_name,
    mongo,
    parse_duration,
    run,
    settings,
)


async def stuck_cases(older_than: timedelta, *, now: datetime) -> list[dict[str, Any]]:
    """Open cases of the saga's case index whose last move is older than `older_than`."""
    infra = settings()
    client = mongo(infra)
    try:
        cases = client[database_name(infra, APPLICATIONS_DB)].cases
        cursor = cases.find({"open": True, "updated_at": {"$lt": now - older_than}})
        found = [doc async for doc in cursor]
    finally:
        await client.close()
    found.sort(key=lambda doc: doc["updated_at"])
    return found


def _idle(since: datetime, now: datetime) -> str:
    seconds = int((now - since).total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def stuck(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Idle for longer than this: 90s, 10m, 2h, 1d.")
    ] = "10m",
) -> None:
    """Open cases that have not moved for longer than --older-than (default 10m)."""
    threshold = parse_duration(older_than)
    now = datetime.now(UTC)
    found = run(stuck_cases(threshold, now=now))
    out = console()
    if not found:
        out.print(f"No open case has been idle for more than {older_than}.")
        return
    table = Table(title=f"{len(found)} open cases idle for more than {older_than}")
    for column in ("case", "status", "clock", "due on", "escalated for", "last moved", "idle"):
        table.add_column(column, overflow="fold")
    for doc in found:
        table.add_row(
            str(doc["_id"]),
            str(doc.get("status")),
            str(doc.get("clock")),
            str(doc.get("due_on") or ""),
            str(doc.get("escalated_for") or ""),
            doc["updated_at"].isoformat(timespec="seconds"),
            _idle(doc["updated_at"], now),
        )
    out.print(table)
