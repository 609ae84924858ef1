"""`onewindow ops rebuild applications`: the gateway's read model, rebuilt from the topic.

The gateway keeps answering throughout. The rebuild is the gateway's own code
(`onewindow.gateway.ops.rebuild`, which says how), run here as its own process by
module name, as `onewindow stack` runs the services: this command starts it with the
same environment, draws its progress and prints what it did.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from onewindow.cli.ops.common import console

# Each projection that can be rebuilt, and the module (of the service that owns it)
# that rebuilds it.
REBUILDERS = {"applications": "onewindow.gateway.ops.rebuild"}


def run_rebuilder(projection: str, on_progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Rebuild `projection` in a process of its own; what it counted (`events`, `cases`, …).

    Exits with the process's status if it fails (its errors are on stderr already).
    """
    command = [sys.executable, "-m", REBUILDERS[projection], projection]
    rebuilt: dict[str, Any] | None = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            try:
                report = json.loads(line)
            except ValueError:
                report = None
            if not isinstance(report, dict):
                sys.stderr.write(line)  # not the rebuilder's report: pass it on
            elif "rebuilt" in report:
                rebuilt = report["rebuilt"]
            else:
                on_progress(int(report["done"]), int(report["total"]))
    if child.returncode != 0 or rebuilt is None:
        raise typer.Exit(child.returncode or 1)
    return rebuilt


def rebuild(
    projection: Annotated[
        str, typer.Argument(metavar="PROJECTION", help="applications: the gateway's read model.")
    ],
) -> None:
    """Rebuild a read model from the topics while the gateway keeps answering."""
    if projection not in REBUILDERS:
        raise typer.BadParameter(
            f"unknown projection {projection!r}; known: {', '.join(REBUILDERS)}",
            param_hint="PROJECTION",
        )
    out = console()
    with Progress(
        TextColumn("[bold]rebuilding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as progress:
        task = progress.add_task(projection, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=max(total, done))

        result = run_rebuilder(projection, advance)
    out.print(
        f"rebuilt {projection}: {result['events']} events, {result['cases']} cases "
        f"({result['unreadable']} unreadable events skipped, {result['replaced']} documents "
        f"replaced, {result['removed']} removed)",
        markup=False,
    )
