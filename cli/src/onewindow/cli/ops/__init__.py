"""`onewindow ops`: operators' tools. They read the same environment as the services
(`KAFKA_BOOTSTRAP_SERVERS`, `MONGODB_URL`, `ONEWINDOW_TOPIC_PREFIX`, `ONEWINDOW_DB_PREFIX`)."""

from __future__ import annotations

import typer

from onewindow.cli.ops.case import case
from onewindow.cli.ops.dlq import dlq
from onewindow.cli.ops.lag import lag
from onewindow.cli.ops.rebuild import rebuild
from onewindow.cli.ops.stuck import stuck
from onewindow.cli.ops.tail import tail

ops = typer.Typer(
    help="Operators' tools: watch the bus, follow a case, handle dead letters, rebuild.",
    no_args_is_help=True,
)
ops.command("tail")(tail)
ops.command("case")(case)
ops.command("stuck")(stuck)
ops.add_typer(dlq, name="dlq")
ops.command("lag")(lag)
ops.command("rebuild")(rebuild)
