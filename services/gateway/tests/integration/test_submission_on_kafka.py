"""Submitting through the gateway onto the real Kafka, with claims in the real database.

The gateway runs in this process with its lifespan (broker and database
connected); what it publishes is read back from the session's
`applications.commands` topic.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from onewindow.contracts.envelope import parse_headers
from onewindow.contracts.v1.applications import SubmitApplication
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.gateway.api.applications import ApplicationRequest
from onewindow.gateway.api.mapping import to_form
from onewindow.gateway.bootstrap import bootstrap
from onewindow.gateway.domain.idempotency import Claim, claim_id, fingerprint, to_millis
from onewindow.gateway.settings import GatewaySettings
from onewindow.runtime import vault

from ..unit.support import PROBLEMS, application, wall_clock_token
from ..unit.test_bad_input import TABLE, Bad

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Record:
    key: str
    value: dict[str, Any]
    headers: dict[str, str]


class TopicProbe:
    """Reads what was appended to a topic since the last `mark()`."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.topic = topic
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
        )
        self.marks: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic(self.topic)
        for _ in range(50):
            if partitions:
                break
            await asyncio.sleep(0.1)
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(self.topic)
        assert partitions, f"topic {self.topic} has no partitions"
        self.consumer.assign([TopicPartition(self.topic, p) for p in partitions])

    async def mark(self) -> None:
        self.marks = await self.consumer.end_offsets(self.consumer.assignment())

    async def appended(self) -> list[Record]:
        """Every record appended since the mark (the writes were acknowledged already)."""
        ends = await self.consumer.end_offsets(self.consumer.assignment())
        found: list[Record] = []
        for partition, start in self.marks.items():
            if ends[partition] <= start:
                continue
            self.consumer.seek(partition, start)
            while (await self.consumer.position(partition)) < ends[partition]:
                batch = await self.consumer.getmany(partition, timeout_ms=2000)
                for message in batch.get(partition, []):
                    if message.offset >= ends[partition]:
                        break
                    found.append(
                        Record(
                            key=(message.key or b"").decode(),
                            value=json.loads(message.value or b"null"),
                            headers={k: v.decode() for k, v in message.headers},
                        )
                    )
        return found

    async def stop(self) -> None:
        await self.consumer.stop()


@dataclass
class Running:
    client: httpx.AsyncClient
    probe: TopicProbe
    db: Any


@pytest.fixture(scope="module")
async def running(infrastructure: Infrastructure) -> AsyncIterator[Running]:
    settings = GatewaySettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=f"{infrastructure.namespace}_submission",
    )
    app = bootstrap(settings)
    probe = TopicProbe(
        infrastructure.kafka_bootstrap, infrastructure.topic("applications.commands")
    )
    await probe.start()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infrastructure.mongodb_url)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                deadline = time.monotonic() + 60
                while (await client.get("/readyz")).status_code != 200:
                    assert time.monotonic() < deadline, (await client.get("/readyz")).text
                    await asyncio.sleep(0.2)
                yield Running(client, probe, mongo[settings.database_name])
    finally:
        await probe.stop()
        await mongo.close()


def caller(sub: str, role: str = "applicant", **claims: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + wall_clock_token(role, sub, **claims)}


async def submit(
    running: Running, sub: str, key: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    headers = {**caller(sub), "Idempotency-Key": key}
    return await running.client.post(
        "/v1/applications", json=body or application(), headers=headers
    )


async def test_a_valid_application_publishes_exactly_one_submit_command(running: Running) -> None:
    await running.probe.mark()
    sub, key = f"anna-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    response = await submit(running, sub, key)
    assert response.status_code == 202, response.text
    application_id = response.json()["id"]
    assert response.headers["location"] == f"/v1/applications/{application_id}"

    (record,) = await running.probe.appended()
    assert record.key == application_id
    # On the bus the applicant's personal data is sealed under the case's key.
    assert application()["applicant"]["surname"] not in json.dumps(record.value)
    command = SubmitApplication.model_validate(await vault.unseal_payload(record.value, record.key))
    assert command.form.applicant.surname == application()["applicant"]["surname"]
    assert command.application_id == application_id
    assert command.submitted_by.sub == sub
    assert command.form.employer.uscc == application()["employer"]["uscc"]
    envelope = parse_headers(record.headers.items())
    assert envelope.type == SubmitApplication.TYPE == record.headers["ce_type"]
    assert envelope.source == "onewindow/gateway"
    assert envelope.correlation_id == envelope.subject == application_id
    assert record.headers["content-type"] == "application/json"

    claim = await running.db.idempotency.find_one({"caller": sub, "key": key})
    assert claim["state"] == "done"
    assert claim["response"]["body"] == response.json()
    owner = await running.db.case_owners.find_one({"_id": application_id})
    assert (owner["applicant_sub"], owner["employer_uscc"]) == (sub, command.form.employer.uscc)


async def test_the_same_key_replayed_returns_the_first_response_and_publishes_nothing(
    running: Running,
) -> None:
    sub, key = f"anna-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    first = await submit(running, sub, key)
    await running.probe.mark()
    again = await submit(running, sub, key)
    assert again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert await running.probe.appended() == []


async def test_the_same_key_with_another_body_is_422_and_publishes_nothing(
    running: Running,
) -> None:
    sub, key = f"anna-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    assert (await submit(running, sub, key)).status_code == 202
    await running.probe.mark()
    other = application(**{"position.annual_salary_cny": 950000})
    response = await submit(running, sub, key, other)
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEMS + "idempotency-key-reused"
    assert await running.probe.appended() == []


async def test_concurrent_requests_with_one_key_publish_once(running: Running) -> None:
    sub, key = f"anna-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    await running.probe.mark()
    responses = await asyncio.gather(*(submit(running, sub, key) for _ in range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {202, 409}, statuses
    accepted = {r.json()["id"] for r in responses if r.status_code == 202}
    assert len(accepted) == 1
    records = await running.probe.appended()
    assert [r.key for r in records] == list(accepted)
    assert await running.db.idempotency.count_documents({"caller": sub}) == 1


@pytest.mark.parametrize("bad", TABLE, ids=[b.rule for b in TABLE])
async def test_a_malformed_request_is_neither_stored_nor_published(
    running: Running, bad: Bad
) -> None:
    sub = f"mallory-{uuid.uuid4().hex[:6]}"
    body = application(**bad.changes)
    if bad.mutate:
        bad.mutate(body)
    content = bad.raw if bad.raw is not None else json.dumps(body).encode()
    claims = {**bad.token_claims(), "sub": sub}
    headers = {
        "Authorization": "Bearer " + wall_clock_token(**claims),
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
        **(bad.headers or {}),
    }
    headers = {k: v for k, v in headers.items() if v}
    await running.probe.mark()
    owners_before = await running.db.case_owners.count_documents({})
    response = await running.client.post("/v1/applications", content=content, headers=headers)
    assert response.status_code == bad.status, response.text
    assert response.json()["type"] == PROBLEMS + bad.problem
    assert await running.db.idempotency.count_documents({"caller": sub}) == 0
    assert await running.db.case_owners.count_documents({}) == owners_before
    assert await running.probe.appended() == []


async def test_a_claim_left_by_a_crashed_gateway_is_taken_over_after_its_lease(
    running: Running,
) -> None:
    sub, key = f"anna-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    form = to_form(ApplicationRequest.model_validate(application()))
    claimed_at = to_millis(datetime.now(UTC) - timedelta(minutes=5))
    stale = Claim(
        id=claim_id(sub, key),
        caller=sub,
        key=key,
        fingerprint=fingerprint("POST /v1/applications", form.model_dump(mode="json")),
        claimed_at=claimed_at,
        lease_until=claimed_at + timedelta(seconds=60),
    )
    await running.db.idempotency.insert_one(
        {
            "_id": stale.id,
            "caller": sub,
            "key": key,
            "fingerprint": stale.fingerprint,
            "claimed_at": stale.claimed_at,
            "lease_until": stale.lease_until,
            "state": "processing",
            "response": None,
        }
    )
    await running.probe.mark()
    response = await submit(running, sub, key)
    assert response.status_code == 202, response.text
    assert response.json()["id"] == stale.origin.derived("application")
    (record,) = await running.probe.appended()
    command = SubmitApplication.model_validate(await vault.unseal_payload(record.value, record.key))
    assert command.submitted_at == stale.claimed_at  # the crashed request's own time
    assert record.headers["ce_id"] == stale.origin.derived(SubmitApplication.TYPE)
    done = await running.db.idempotency.find_one({"_id": stale.id})
    assert done["state"] == "done"
