"""The delivery log on the real MongoDB-protocol database: one intent, one holder."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.notifications.adapters.deliveries import Cause, Delivery, DeliveryLog
from onewindow.notifications.adapters.employers import CaseEmployers
from onewindow.runtime.mongo import make_client

pytestmark = pytest.mark.integration

NOW = datetime(2027, 1, 4, 2, 30, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture(scope="module")
async def log(infrastructure: Infrastructure) -> AsyncIterator[DeliveryLog]:
    client = make_client(infrastructure.mongodb_url)
    name = f"{infrastructure.namespace}_ntlog{uuid.uuid4().hex[:6]}"
    deliveries = DeliveryLog(client[name])
    await deliveries.ensure_indexes()
    yield deliveries
    await client.drop_database(name)
    await client.close()


def a_delivery() -> Delivery:
    return Delivery(
        id=str(uuid.uuid4()),
        cause=Cause(id="e-1", type="t", source="s", time=NOW, correlation_id="OW-1"),
        application_id="OW-1",
        template="received",
        audience="applicant",
        language="en",
        channel="email",
        recipient="anna@example.org",
        recipient_masked="a***@example.org",
        content={"subject": "s", "text": "t", "html": "h"},
        created_at=NOW,
    )


async def test_recording_a_delivery_twice_keeps_the_first(log: DeliveryLog) -> None:
    delivery = a_delivery()
    assert await log.record(delivery)
    assert not await log.record(replace(delivery, content={"subject": "other"}))
    stored = await log.get(delivery.id)
    assert stored is not None
    assert stored.content["subject"] == "s"


async def test_of_replicas_claiming_at_once_exactly_one_holds_the_delivery(
    log: DeliveryLog,
) -> None:
    for _ in range(20):
        delivery = a_delivery()
        await log.record(delivery)
        claims = await asyncio.gather(
            *(log.claim(delivery.id, owner=f"r{n}", now=NOW, lease=LEASE) for n in range(4))
        )
        holders = [c for c in claims if c is not None]
        assert len(holders) == 1
        assert holders[0].attempts == 1


async def test_a_held_delivery_is_neither_due_nor_claimable_until_its_lease_lapses(
    log: DeliveryLog,
) -> None:
    delivery = a_delivery()
    await log.record(delivery)
    assert await log.claim(delivery.id, owner="crashed", now=NOW, lease=LEASE) is not None
    assert delivery.id not in await log.due(NOW + timedelta(seconds=5), 1000)
    assert (
        await log.claim(delivery.id, owner="r2", now=NOW + timedelta(seconds=5), lease=LEASE)
        is None
    )
    later = NOW + LEASE + timedelta(seconds=1)
    assert delivery.id in await log.due(later, 1000)
    resumed = await log.claim(delivery.id, owner="r2", now=later, lease=LEASE)
    assert resumed is not None
    assert resumed.attempts == 2
    assert [a["owner"] for a in await log.attempts_of(delivery.id)] == ["crashed", "r2"]


async def test_a_delivery_recorded_held_is_attempt_1_and_after_its_lease_a_claim_is_attempt_2(
    log: DeliveryLog,
) -> None:
    delivery = a_delivery()
    assert await log.record(delivery, owner="recorder", lease_until=NOW + LEASE)
    # Held by its recorder: not due, and nobody else can claim it before the lease lapses.
    assert delivery.id not in await log.due(NOW + timedelta(seconds=5), 1000)
    assert await log.claim(delivery.id, owner="r2", now=NOW, lease=LEASE) is None
    later = NOW + LEASE + timedelta(seconds=1)
    claims = await asyncio.gather(
        *(log.claim(delivery.id, owner=f"r{n}", now=later, lease=LEASE) for n in range(4))
    )
    holders = [c for c in claims if c is not None]
    assert len(holders) == 1
    assert holders[0].attempts == 2
    owners = [a["owner"] for a in await log.attempts_of(delivery.id)]
    assert owners[0] == "recorder"
    assert len(owners) == 2
    assert owners[1] in {f"r{n}" for n in range(4)}


async def test_a_rescheduled_delivery_waits_for_its_time_and_a_settled_one_is_done(
    log: DeliveryLog,
) -> None:
    delivery = a_delivery()
    await log.record(delivery)
    await log.claim(delivery.id, owner="r1", now=NOW, lease=LEASE)
    retry_at = NOW + timedelta(seconds=10)
    assert await log.reschedule(delivery.id, owner="r1", at=retry_at, error="421 busy")
    assert (
        await log.claim(delivery.id, owner="r1", now=NOW + timedelta(seconds=9), lease=LEASE)
        is None
    )
    again = await log.claim(delivery.id, owner="r1", now=retry_at, lease=LEASE)
    assert again is not None
    assert again.attempts == 2
    assert again.last_error == "421 busy"
    assert await log.settle(delivery.id, state="sent", at=retry_at, owner="r1")
    assert delivery.id not in await log.due(retry_at + timedelta(days=1), 1000)
    settled = await log.get(delivery.id)
    assert settled is not None
    assert settled.state == "sent"


async def test_a_cases_employer_recorded_again_by_a_redelivery_or_a_replica_is_kept(
    log: DeliveryLog,
) -> None:
    employers = CaseEmployers(log.deliveries.database)
    uscc = "91310104MA1FL5KX1N"
    await asyncio.gather(*(employers.remember("OW-7", uscc) for _ in range(3)))
    await employers.remember("OW-7", uscc)
    assert await employers.employer_of("OW-7") == uscc
    assert await employers.employer_of("OW-8") is None
