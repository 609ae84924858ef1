"""`onewindow ops lag` and `onewindow ops rebuild applications` on the running system."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from onewindow.cli.seeding import Gateway, Person
from onewindow.devstack.pytest_plugin import RunningServices

from .support import TODAY, ops_async

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(scope="module")
async def gateway(services: RunningServices) -> AsyncIterator[Gateway]:
    client = Gateway(services.gateway)
    yield client
    await client.close()


@pytest.fixture(scope="module")
async def decided(gateway: Gateway) -> list[dict[str, Any]]:
    """Two decided cases: one approved, one refused (a stale health certificate)."""
    approved, refused = Person(), Person()
    await gateway.register(approved)
    await gateway.register(refused, health_issued=TODAY - timedelta(days=300))
    ids = [await gateway.submit_case(approved), await gateway.submit_case(refused)]
    return [await gateway.wait_for(None, i, {"approved", "refused"}) for i in ids]


async def test_lag_shows_every_service_group_and_a_group_that_is_behind(
    services: RunningServices, decided: list[dict[str, Any]]
) -> None:
    prefix = services.env["ONEWINDOW_TOPIC_PREFIX"]
    events = f"{prefix}applications.events"
    # A consumer group that read nothing of what is on applications.events.
    probe = AIOKafkaConsumer(
        bootstrap_servers=services.infrastructure.kafka_bootstrap,
        group_id=f"{prefix}ops-lag-probe",
        enable_auto_commit=False,
    )
    await probe.start()
    try:
        partitions = [TopicPartition(events, p) for p in range(6)]
        probe.assign(partitions)
        ends = await probe.end_offsets(partitions)
        behind = {tp: end for tp, end in ends.items() if end > 0}
        await probe.commit(dict.fromkeys(behind, 0))
    finally:
        await probe.stop()

    result = await ops_async(services, "lag")

    assert result.exit_code == 0, result.output
    totals = dict(re.findall(rf"({re.escape(prefix)}[\w-]+)\s+│\s+(\d+)", result.stdout))
    for group in (
        "applications",
        "identity",
        "work-permit",
        "residence-permit",
        "notifications",
        "gateway-readmodel",
    ):
        assert f"{prefix}{group}" in totals, group
    assert int(totals[f"{prefix}ops-lag-probe"]) == sum(behind.values())
    rows = [line.split("│") for line in result.stdout.splitlines() if "ops-lag-probe" in line]
    by_partition = {int(row[3]): int(row[6]) for row in rows if len(row) > 6}
    assert by_partition == {tp.partition: end for tp, end in behind.items()}


async def test_rebuild_repairs_the_read_model_while_the_gateway_keeps_answering(
    services: RunningServices, gateway: Gateway, decided: list[dict[str, Any]]
) -> None:
    approved, refused = decided
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(services.infrastructure.mongodb_url)
    db = client[f"{services.env['ONEWINDOW_DB_PREFIX']}_gateway"]
    # The read model goes wrong: one view mangled, one lost, one that no event explains.
    await db.applications_view.update_one(
        {"_id": approved["id"]}, {"$set": {"status": "garbage", "timeline": []}}
    )
    await db.applications_view.delete_one({"_id": refused["id"]})
    await db.applications_view.insert_one({"_id": "stray-view", "status": "approved"})
    views_before = await db.applications_view.count_documents({})

    answers: list[int] = []
    rebuilding = asyncio.create_task(ops_async(services, "rebuild", "applications"))
    while not rebuilding.done():
        response = await gateway.http.get(
            f"/v1/applications/{approved['id']}", headers=gateway.operator
        )
        answers.append(response.status_code)
        await asyncio.sleep(0.02)
    result = await rebuilding

    assert result.exit_code == 0, result.output
    assert set(answers) == {200}, answers
    match = re.search(r"rebuilt applications: (\d+) events, (\d+) cases", result.stdout)
    assert match, result.stdout
    assert int(match[1]) >= 2 * 4  # each decided case has several events
    assert int(match[2]) == views_before  # one lost, one stray removed
    assert "rebuilding applications" in result.stdout
    assert await gateway.case(None, approved["id"]) == approved
    assert await gateway.case(None, refused["id"]) == refused
    assert await db.applications_view.find_one({"_id": "stray-view"}) is None
    assert "applications_view_rebuild" not in await db.list_collection_names()
    await client.close()
