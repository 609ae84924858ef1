"""Crash safety: processes killed mid-flight lose no case and issue no permit twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from onewindow.cli.seeding import FINAL, Gateway, Person
from onewindow.devstack.pytest_plugin import RunningServices

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.integration]

CASES = 20
TODAY = date.today()


async def issued_numbers(services: RunningServices, service: str, ids: list[str]) -> list[str]:
    """Every permit number the service's event store records as issued for these cases."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(services.env["MONGODB_URL"])
    try:
        database = client[f"{services.env['ONEWINDOW_DB_PREFIX']}_{service.replace('-', '_')}"]
        numbers = []
        streams = [f"{service}-{application_id}" for application_id in ids]
        async for commit in database.commits.find({"stream": {"$in": streams}}):
            numbers += [
                e["data"]["permit_number"]
                for e in commit["events"]
                # Stored under its stable name, `<service>.Issued.v<n>` (or, before stable
                # names, the bare `Issued`).
                if e["type"] == "Issued" or e["type"].startswith(f"{service}.Issued.v")
            ]
        return numbers
    finally:
        await client.close()


async def submit_all(gateway: Gateway, count: int) -> tuple[list[Person], list[str]]:
    """`count` registered people, each with a fast-track application accepted (202)."""
    people = [Person() for _ in range(count)]
    await asyncio.gather(
        *(gateway.register(p, health_issued=TODAY - timedelta(days=20)) for p in people)
    )
    answers = await asyncio.gather(
        *(gateway.submit(p, gateway.application(p, today=TODAY)) for p in people)
    )
    assert all(a.status_code == 202 for a in answers)
    return people, [a.json()["id"] for a in answers]


async def test_twenty_cases_survive_the_saga_and_both_permit_services_being_killed(
    gateway: Gateway,
    services: RunningServices,
) -> None:
    people, ids = await submit_all(gateway, CASES)

    for name in ("applications", "work-permit", "residence-permit"):
        services.kill(name)  # SIGKILL while cases are in flight
        await asyncio.sleep(0.5)
        await asyncio.to_thread(services.restart, name)

    cases = await asyncio.gather(
        *(gateway.wait_for(p, i, FINAL, within_s=180) for p, i in zip(people, ids, strict=True))
    )

    assert [c["status"] for c in cases] == ["approved"] * CASES
    for case in cases:  # never a permit issued on one side only
        assert case["work_permit"]["status"] == case["residence_permit"]["status"] == "issued"
    work = await issued_numbers(services, "work-permit", ids)
    residence = await issued_numbers(services, "residence-permit", ids)
    assert len(work) == len(set(work)) == CASES, Counter(work).most_common(3)
    assert len(residence) == len(set(residence)) == CASES, Counter(residence).most_common(3)
    assert {c["work_permit"]["number"] for c in cases} == set(work)


BATCHED_CASES = 60


async def _statuses(gateway: Gateway, people: list[Person], ids: list[str]) -> list[str]:
    views = await asyncio.gather(*(gateway.case(p, i) for p, i in zip(people, ids, strict=True)))
    return [str(view["status"]) for view in views]


async def _kill_mid_batch(
    gateway: Gateway,
    services: RunningServices,
    people: list[Person],
    ids: list[str],
    victim: str,
    moved: frozenset[str],
) -> list[str]:
    """SIGKILL `victim` as soon as some, but not all, cases reached `moved`; restart it.
    Returns the statuses seen at the kill (for the assertion that it was mid-batch)."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        seen = await _statuses(gateway, people, ids)
        if any(s in moved for s in seen) or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    services.kill(victim)
    await asyncio.to_thread(services.restart, victim)
    return seen


async def test_a_service_killed_in_the_middle_of_a_batch_loses_nothing_and_issues_nothing_twice(
    gateway: Gateway,
    services: RunningServices,
) -> None:
    # Submitted all at once, the cases reach each service as batches of many records;
    # each victim is killed once the first of them has moved on, so the rest of its
    # batch was fetched and partly handled, and its offsets not yet committed.
    people, ids = await submit_all(gateway, BATCHED_CASES)

    at_saga_kill = await _kill_mid_batch(
        gateway, services, people, ids, "applications", frozenset({"verifying_identity"})
    )
    at_permit_kill = await _kill_mid_batch(
        gateway, services, people, ids, "work-permit", frozenset({"issuing", "approved"})
    )

    cases = await asyncio.gather(
        *(gateway.wait_for(p, i, FINAL, within_s=240) for p, i in zip(people, ids, strict=True))
    )

    # Each kill came while cases were still on their way through the killed service.
    assert "submitted" in at_saga_kill or "verifying_identity" in at_saga_kill, at_saga_kill
    assert any(s not in FINAL for s in at_permit_kill), at_permit_kill
    assert [c["status"] for c in cases] == ["approved"] * BATCHED_CASES
    for case in cases:
        assert case["work_permit"]["status"] == case["residence_permit"]["status"] == "issued"
    work = await issued_numbers(services, "work-permit", ids)
    residence = await issued_numbers(services, "residence-permit", ids)
    assert len(work) == len(set(work)) == BATCHED_CASES, Counter(work).most_common(3)
    assert len(residence) == len(set(residence)) == BATCHED_CASES, Counter(residence).most_common(3)
