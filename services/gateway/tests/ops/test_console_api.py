"""The console's API, page and the AsyncAPI document, served by the running gateway."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from aiokafka import AIOKafkaProducer

from onewindow.contracts.asyncapi import committed_document
from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.contracts.v1.identity import CloseCase
from onewindow.devstack.pytest_plugin import RunningServices
from onewindow.gateway.settings import DEFAULT_AUDIENCE, DEVELOPMENT_JWT_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PROBLEM = "application/problem+json"


def bearer(role: str) -> dict[str, str]:
    """A token the running gateway accepts (it runs with the development key)."""
    claims = {"sub": f"{role}-1", "role": role, "aud": DEFAULT_AUDIENCE, "exp": time.time() + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, DEVELOPMENT_JWT_SECRET)}"}


@pytest.fixture
async def http(services: RunningServices) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=services.gateway, timeout=30) as client:
        yield client


async def dead_letter(services: RunningServices, key: str) -> None:
    """A record set aside on identity.commands.dlq (nothing consumes a .dlq topic)."""
    message = CloseCase(application_id=key, outcome="withdrawn")
    envelope = new_envelope(message.TYPE, source="test", correlation_id=key)
    producer = AIOKafkaProducer(bootstrap_servers=services.infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            services.env["ONEWINDOW_TOPIC_PREFIX"] + "identity.commands.dlq",
            message.model_dump_json().encode(),
            key=key.encode(),
            headers=[*build_headers(envelope), ("x-dlq-error", b"test")],
        )
    finally:
        await producer.stop()


@pytest.mark.parametrize("path", ["/ops/api/overview", "/ops/api/events"])
async def test_the_console_s_data_is_for_operators_only(http: httpx.AsyncClient, path: str) -> None:
    anonymous = await http.get(path)
    applicant = await http.get(path, headers=bearer("applicant"))
    officer = await http.get(path, headers=bearer("officer"))

    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == PROBLEM
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for refused in (applicant, officer):
        assert refused.status_code == 403
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"].endswith("/forbidden")


async def test_the_overview_counts_a_new_dead_letter_as_waiting(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    before = (await http.get("/ops/api/overview", headers=bearer("operator"))).json()
    await dead_letter(services, str(uuid.uuid4()))
    after = (await http.get("/ops/api/overview", headers=bearer("operator"))).json()

    assert set(after["dead_letters"]) == {
        f"{topic}.dlq"
        for topic in (
            "applications.commands",
            "applications.events",
            "identity.commands",
            "identity.events",
            "work-permit.commands",
            "work-permit.events",
            "residence-permit.commands",
            "residence-permit.events",
            "notifications.events",
        )
    }
    waiting = after["dead_letters"]["identity.commands.dlq"]["waiting"]
    assert waiting == before["dead_letters"]["identity.commands.dlq"]["waiting"] + 1
    assert after["total"] == sum(after["by_status"].values())
    assert after["stuck_after_s"] == 600


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    event, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []


async def test_the_live_stream_shows_new_messages_filtered_by_case(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    wanted, other = str(uuid.uuid4()), str(uuid.uuid4())
    seen: list[dict[str, Any]] = []
    async with http.stream(
        "GET", "/ops/api/events", params={"case": wanted}, headers=bearer("operator")
    ) as response:
        assert response.status_code == 200
        events = _events(response)
        assert (await anext(events))[0] == "ready"
        await dead_letter(services, other)
        await dead_letter(services, wanted)
        kind, data = await asyncio.wait_for(anext(events), 20)
        seen.append(data)

    assert kind == "message"
    assert [m["key"] for m in seen] == [wanted]
    assert seen[0]["topic"] == "identity.commands.dlq"
    assert seen[0]["type"] == CloseCase.TYPE
    assert seen[0]["summary"] == "CloseCase: outcome=withdrawn"


async def test_the_console_page_needs_nothing_from_elsewhere(http: httpx.AsyncClient) -> None:
    page = await http.get("/ops")
    script = await http.get("/ops/static/ops.js")
    missing = await http.get("/ops/static/other.js")

    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert references
    assert all(ref.startswith("/ops/static/") for ref in references)
    assert script.status_code == 200
    assert "Authorization" in script.text
    assert "EventSource(" not in script.text  # headers cannot be set on one
    assert missing.status_code == 404


async def test_the_asyncapi_document_is_served_as_committed_and_as_a_page(
    http: httpx.AsyncClient,
) -> None:
    document = await http.get("/asyncapi.json")
    page = await http.get("/asyncapi")

    assert document.status_code == 200
    assert document.json() == committed_document()
    assert page.status_code == 200
    assert "<script" not in page.text
    assert not re.findall(r'(?:src|href)="https?://', page.text)
    for text in (
        "applications.commands",
        "work-permit.events.dlq",
        "onewindow.work-permit.WorkPermitReserved.v1",
        "permit_number",
        "work-permit consumes work-permit.commands as group work-permit",
    ):
        assert text in page.text, text
