"""`onewindow ops stuck`: open cases that have not moved for a while, or (`--invariants`)
cases breaking the two rules no case may break: an open case always has a due timer, and
a decided case never leaves exactly one of its two permits valid."""

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


# A timer this far past due means the saga's timer sweep is not running.
OVERDUE = timedelta(minutes=10)


async def broken_cases(*, now: datetime) -> list[tuple[dict[str, Any], str]]:
    """Every case of the saga's index that breaks an invariant, with the rule it breaks."""
    infra = settings()
    client = mongo(infra)
    found: list[tuple[dict[str, Any], str]] = []
    try:
        cases = client[database_name(infra, APPLICATIONS_DB)].cases
        async for doc in cases.find({"open": True, "timer_due": None}):
            found.append((doc, "open without a due timer"))
        async for doc in cases.find({"open": True, "timer_due": {"$lt": now - OVERDUE}}):
            found.append((doc, f"timer ({doc.get('timer_action')}) overdue: is the saga up?"))
        one_alone = {
            "open": False,
            "$or": [
                {"work": "issued", "residence": {"$ne": "issued"}},
                {"residence": "issued", "work": {"$ne": "issued"}},
            ],
        }
        async for doc in cases.find(one_alone):
            found.append((doc, "decided with exactly one valid permit"))
    finally:
        await client.close()
    return found


def _invariants(now: datetime) -> None:
    found = run(broken_cases(now=now))
    out = console()
    if not found:
        out.print(
            "No case breaks an invariant: every open case has a due timer, and no "
            "decided case has exactly one valid permit."
        )
        return
    table = Table(title=f"{len(found)} cases break an invariant")
    for column in ("case", "status", "work", "residence", "timer due", "broken"):
        table.add_column(column, overflow="fold")
    for doc, rule in found:
        due = doc.get("timer_due")
        table.add_row(
            str(doc["_id"]),
            str(doc.get("status")),
            str(doc.get("work", "")),
            str(doc.get("residence", "")),
            due.isoformat(timespec="seconds") if isinstance(due, datetime) else "",
            rule,
        )
    out.print(table)
    raise typer.Exit(1)


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
    invariants: Annotated[
        bool,
        typer.Option(
            "--invariants",
            help="Instead: every case breaking an invariant (an open case without a due "
            "timer or with one long overdue; a decided case with exactly one valid permit). "
            "Exits 1 when there is any.",
        ),
    ] = False,
) -> None:
    """Open cases that have not moved for longer than --older-than (default 10m)."""
    now = datetime.now(UTC)
    if invariants:
        _invariants(now)
        return
    threshold = parse_duration(older_than)
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
