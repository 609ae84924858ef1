"""Submitting an application: one command per Idempotency-Key, whatever the retries."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from onewindow.contracts.v1.applications import SubmitApplication

from .support import PROBLEMS, USCC, application, auth, unit_gateway

KEY = "7a1e3c55-0d6f-4c55-8f0e-2b9d2f1a4e01"


def keyed(key: str = KEY, **kwargs: str) -> dict[str, str]:
    return {**auth(**kwargs), "Idempotency-Key": key}


async def test_an_accepted_application_is_202_with_its_location_and_one_command() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post("/v1/applications", json=application(), headers=keyed())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "submitted"
    assert response.headers["location"] == f"/v1/applications/{body['id']}"
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, SubmitApplication)
    assert sent.key == body["id"] == sent.command.application_id
    assert sent.envelope.type == SubmitApplication.TYPE
    assert sent.envelope.correlation_id == body["id"]
    assert sent.command.submitted_by.sub == "anna"
    assert sent.command.form.applicant.passport.number == "NX4K2P7R1"
    owner = gateway.owners.owned[body["id"]]
    assert (owner.applicant_sub, owner.employer_uscc) == ("anna", USCC)


async def test_the_same_key_and_body_get_the_first_answer_and_nothing_is_sent_again() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        first = await client.post("/v1/applications", json=application(), headers=keyed())
        gateway.clock.advance(timedelta(minutes=5))
        again = await client.post("/v1/applications", json=application(), headers=keyed())
    assert again.status_code == first.status_code == 202
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(gateway.bus.sent) == 1


async def test_the_same_key_with_another_body_is_422() -> None:
    gateway = unit_gateway()
    other = application(**{"position.title": "Principal Scientist"})
    async with gateway.client() as client:
        await client.post("/v1/applications", json=application(), headers=keyed())
        response = await client.post("/v1/applications", json=other, headers=keyed())
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEMS + "idempotency-key-reused"
    assert len(gateway.bus.sent) == 1


async def test_a_key_belongs_to_its_caller() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        anna = await client.post("/v1/applications", json=application(), headers=keyed())
        bob = await client.post("/v1/applications", json=application(), headers=keyed(sub="bob"))
    assert anna.status_code == bob.status_code == 202
    assert anna.json()["id"] != bob.json()["id"]
    assert len(gateway.bus.sent) == 2


async def test_a_repeat_while_the_first_is_still_running_is_409() -> None:
    gateway = unit_gateway()
    release = asyncio.Event()
    reached = asyncio.Event()

    async def slow_kafka() -> None:
        reached.set()
        await release.wait()

    gateway.bus.before_send = slow_kafka
    async with gateway.client() as client:
        first = asyncio.create_task(
            client.post("/v1/applications", json=application(), headers=keyed())
        )
        await reached.wait()
        gateway.bus.before_send = None
        second = await client.post("/v1/applications", json=application(), headers=keyed())
        release.set()
        assert (await first).status_code == 202
    assert second.status_code == 409
    assert second.json()["type"] == PROBLEMS + "request-in-progress"
    assert len(gateway.bus.sent) == 1


async def test_a_claim_left_by_a_crash_is_taken_over_and_sends_the_same_command() -> None:
    gateway = unit_gateway()
    gateway.bus.failing = True
    async with gateway.client() as client:
        failed = await client.post("/v1/applications", json=application(), headers=keyed())
        assert failed.status_code == 503
        assert failed.json()["type"] == PROBLEMS + "upstream-unavailable"
        assert gateway.claims.records == {}  # released: the retry starts afresh
        gateway.bus.failing = False
        retried = await client.post("/v1/applications", json=application(), headers=keyed())
    assert retried.status_code == 202
    assert len(gateway.bus.sent) == 1


async def test_after_a_crash_the_retry_waits_for_the_lease_then_resends_the_same_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = unit_gateway()

    async def died_before_release(_claim: object) -> None:
        return None  # a killed process never gets to release its claim

    monkeypatch.setattr(gateway.claims, "release", died_before_release)
    gateway.bus.failing = True
    async with gateway.client() as client:
        await client.post("/v1/applications", json=application(), headers=keyed())
        (claim,) = gateway.claims.records.values()
        gateway.bus.failing = False
        during = await client.post("/v1/applications", json=application(), headers=keyed())
        gateway.clock.advance(timedelta(seconds=61))
        after = await client.post("/v1/applications", json=application(), headers=keyed())
    assert claim.state == "processing"
    assert during.status_code == 409
    assert after.status_code == 202
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, SubmitApplication)
    assert sent.command.application_id == after.json()["id"] == claim.origin.derived("application")
    assert sent.command.submitted_at == claim.claimed_at
    assert sent.envelope.id == claim.origin.derived(SubmitApplication.TYPE)


async def test_an_employer_submits_for_its_own_company_and_owns_the_case() -> None:
    gateway = unit_gateway()
    headers = keyed(role="employer", sub="hr", uscc=USCC)
    async with gateway.client() as client:
        response = await client.post("/v1/applications", json=application(), headers=headers)
    assert response.status_code == 202
    owner = gateway.owners.owned[response.json()["id"]]
    assert (owner.applicant_sub, owner.employer_uscc) == (None, USCC)
