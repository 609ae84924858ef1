"""What the `onewindow ops` tests share: running commands against the test namespace.

Seeding cases goes through `onewindow.cli.seeding`, like every other user of the API.
"""

from __future__ import annotations

import asyncio
from datetime import date

from click.testing import Result
from typer.testing import CliRunner

from onewindow.cli.main import app
from onewindow.devstack.pytest_plugin import RunningServices

TODAY = date.today()


runner = CliRunner()


def ops(services: RunningServices, *args: str) -> Result:
    """`onewindow ops ARGS` against the running services' Kafka, database and namespace."""
    env = {**services.env, "COLUMNS": "400", "NO_COLOR": "1"}
    return runner.invoke(app, ["ops", *args], env=env)


async def ops_async(services: RunningServices, *args: str) -> Result:
    """The same, in a thread, so the test's event loop goes on meanwhile."""
    return await asyncio.to_thread(ops, services, *args)
