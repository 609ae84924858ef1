"""The real broker and database answer the way every service relies on."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from faststream import AckPolicy
from pymongo.errors import DuplicateKeyError

from onewindow.contracts.topics import APPLICATIONS_EVENTS
from onewindow.devstack.pytest_plugin import Infrastructure, RunningServices
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import DUPLICATE_KEY, make_client

pytestmark = pytest.mark.integration


async def test_a_message_sent_with_acks_all_and_idempotence_reaches_a_group_subscriber(
    infrastructure: Infrastructure,
) -> None:
    topic = infrastructure.topic(APPLICATIONS_EVENTS.name)
    body = {"probe": uuid.uuid4().hex}
    received: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
    broker = make_broker(infrastructure.kafka_bootstrap, client_id="probe")

    @broker.subscriber(
        topic,
        group_id=f"probe-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
    )
    async def on_message(message: dict[str, str]) -> None:
        if message == body and not received.done():
            received.set_result(message)

    async with broker:
        await broker.start()
        # The live aiokafka producer behind FastStream: acks=all (-1) and idempotent
        # (aiokafka keeps a transaction manager only when idempotence is on).
        producer = broker.config.producer._producer.producer  # type: ignore[attr-defined]
        assert producer._sender._acks == -1
        assert producer._txn_manager is not None
        await broker.publish(body, topic, key=b"case-1")
        assert await asyncio.wait_for(received, timeout=30) == body


async def test_a_unique_index_rejects_a_duplicate_with_error_11000(
    infrastructure: Infrastructure,
) -> None:
    client = make_client(infrastructure.mongodb_url)
    try:
        collection = client[f"{infrastructure.namespace}_probe"]["commits"]
        await collection.create_index([("stream", 1), ("version", 1)], unique=True)
        await collection.insert_one({"stream": "case-1", "version": 1})
        with pytest.raises(DuplicateKeyError) as error:
            await collection.insert_one({"stream": "case-1", "version": 1})
        assert error.value.code == DUPLICATE_KEY == 11000
        assert await collection.count_documents({"stream": "case-1"}) == 1
    finally:
        await client.close()


@pytest.mark.e2e
async def test_every_service_process_becomes_ready(services: RunningServices) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for name, url in services.probe_urls.items():  # the gateway's: its management port
            response = await http.get(f"{url}/readyz")
            assert response.status_code == 200, (name, response.text)
            assert response.json()["checks"] == {"kafka": "ok", "database": "ok"}
            assert (await http.get(f"{url}/healthz")).json()["status"] == "alive"
    pids = {p.pid() for p in services.processes.values()}
    assert None not in pids
    assert len(pids) == len(services.processes)  # one OS process each
