"""`onewindow ops lag`: how far each consumer group is behind, per partition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from rich.table import Table

from onewindow.cli.ops.common import console, run, settings


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def behind(self) -> int:
        return max(0, self.end - self.committed)


async def consumer_lag(bootstrap_servers: str, prefix: str) -> list[Lag]:
    """Every committed offset of the groups named with `prefix`, against the log's end."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="onewindow-ops")
    await admin.start()
    try:
        groups = sorted(
            str(group[0])
            for group in await admin.list_consumer_groups()
            if str(group[0]).startswith(prefix)
        )
        committed: dict[str, dict[Any, Any]] = {
            group: await admin.list_consumer_group_offsets(group) for group in groups
        }
    finally:
        await admin.close()
    partitions = {tp for offsets in committed.values() for tp in offsets}
    if not partitions:
        return []
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, client_id="onewindow-ops"
    )
    await reader.start()
    try:
        ends = await reader.end_offsets(list(partitions))
    finally:
        await reader.stop()
    found = [
        Lag(group, tp.topic, tp.partition, offset.offset, ends[tp])
        for group, offsets in committed.items()
        for tp, offset in offsets.items()
        if offset.offset >= 0
    ]
    return sorted(found, key=lambda lag: (lag.group, lag.topic, lag.partition))


def lag(
    group: Annotated[str | None, typer.Option(help="Only groups containing this text.")] = None,
    behind_only: Annotated[
        bool, typer.Option("--behind", help="Only partitions that are behind.")
    ] = False,
    show_empty: Annotated[
        bool, typer.Option("--all", help="Also partitions that have never held a message.")
    ] = False,
) -> None:
    """Consumer lag per group and partition: committed offset, end of log, difference."""
    infra = settings()
    found = run(consumer_lag(infra.kafka_bootstrap_servers, infra.topic_prefix))
    if group:
        found = [lag for lag in found if group in lag.group]
    out = console()
    if not found:
        out.print("No consumer group has committed offsets.")
        return
    totals: dict[str, int] = {}
    for entry in found:
        totals[entry.group] = totals.get(entry.group, 0) + entry.behind
    table = Table(title="Consumer lag", title_justify="left")
    for column in ("group", "topic", "partition", "committed", "end", "lag"):
        table.add_column(column, overflow="fold")
    for entry in found:
        if (behind_only and not entry.behind) or (entry.end == 0 and not show_empty):
            continue
        table.add_row(
            entry.group,
            entry.topic,
            str(entry.partition),
            str(entry.committed),
            str(entry.end),
            str(entry.behind),
            style="bold red" if entry.behind else None,
        )
    out.print(table)
    summary = Table(title="Lag per group", title_justify="left")
    summary.add_column("group")
    summary.add_column("lag", justify="right")
    for name, behind in sorted(totals.items()):
        summary.add_row(name, str(behind), style="bold red" if behind else None)
    out.print(summary)
