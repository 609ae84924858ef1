"""Infrastructure trouble is not a decision: the database away for a minute while fifty
cases are in flight delays them, and every one is decided afterwards; nothing is
dead-lettered.

The system under test runs on a FerretDB of this module's own (its own port and its own
PostgreSQL database in the stack's cluster), so stopping it disturbs no other test."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from onewindow.cli.main import app
from onewindow.cli.seeding import FINAL, Gateway, Person
from onewindow.devstack.infra import DedicatedFerretDB
from onewindow.devstack.ports import free_port
from onewindow.devstack.pytest_plugin import Infrastructure, RunningServices, run_services
from onewindow.devstack.services import readyz

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.integration]

CASES = 50
OUTAGE_S = 60
TODAY = date.today()


@dataclasses.dataclass(frozen=True)
class System:
    services: RunningServices
    database: DedicatedFerretDB


@pytest.fixture(scope="module")
def system(infrastructure: Infrastructure) -> Iterator[System]:
    """Every service as its own process, all on a database that the test may stop."""
    database = DedicatedFerretDB(f"{infrastructure.namespace}_outage", free_port())
    database.start()
    try:
        own = dataclasses.replace(infrastructure.isolated("outage"), mongodb_url=database.url)
        with run_services(own) as services:
            yield System(services, database)
    finally:
        database.drop()


@pytest.fixture
async def gateway(system: System) -> AsyncIterator[Gateway]:
    client = Gateway(system.services.gateway)
    yield client
    await client.close()


def dead_letters(services: RunningServices) -> str:
    """What `onewindow ops dlq list` tells an operator about the system's dead letters."""
    env = {**services.env, "COLUMNS": "400", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["ops", "dlq", "list"], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_a_database_outage_of_a_minute_during_fifty_submissions_strands_no_case(
    system: System, gateway: Gateway
) -> None:
    loop = asyncio.get_running_loop()
    people = [Person() for _ in range(CASES)]
    await asyncio.gather(
        *(gateway.register(p, health_issued=TODAY - timedelta(days=20)) for p in people)
    )
    answers = await asyncio.gather(
        *(gateway.submit(p, gateway.application(p, today=TODAY)) for p in people)
    )
    assert [a.status_code for a in answers] == [202] * CASES  # the applicants were told yes
    ids = [a.json()["id"] for a in answers]

    await asyncio.to_thread(system.database.stop)  # while the cases are on their way
    stopped = loop.time()
    await asyncio.sleep(OUTAGE_S / 2)
    readiness = await asyncio.gather(
        *(asyncio.to_thread(readyz, url) for url in system.services.probe_urls.values())
    )
    await asyncio.sleep(max(0.0, OUTAGE_S - (loop.time() - stopped)))
    await asyncio.to_thread(system.database.start)
    cases = await asyncio.gather(
        *(
            gateway.wait_for(p, i, set(FINAL), within_s=150)
            for p, i in zip(people, ids, strict=True)
        )
    )

    # Every service said it was not ready while its database was away ...
    assert [ready for ready, _ in readiness] == [False] * len(system.services.urls)
    # ... and every case was decided once it was back, none refused for it, none set aside.
    assert [c["status"] for c in cases] == ["approved"] * CASES
    for case in cases:
        assert case["work_permit"]["status"] == case["residence_permit"]["status"] == "issued"
    assert "No dead letters." in await asyncio.to_thread(dead_letters, system.services)
