"""`onewindow`: the local stack, development tokens and operators' tools."""

from __future__ import annotations

import typer

from onewindow.cli.demo import demo
from onewindow.cli.ops import ops
from onewindow.cli.stack import stack
from onewindow.cli.token import token

app = typer.Typer(
    help="One Window: joint work and residence permits, as event-sourced services on Kafka.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(stack, name="stack")
app.add_typer(ops, name="ops")
app.command("token")(token)
app.command("demo")(demo)


if __name__ == "__main__":
    app()
