"""The service as its own process (`python -m onewindow.notifications`), configured only
through its environment: an event on the session's `applications.events` becomes
one mail at a real SMTP server, and the process's log shows the address masked."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller

from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.notifications import examples

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.mail: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mail.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


async def test_the_service_process_mails_what_an_event_calls_for(
    infrastructure: Infrastructure, inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    box, smtp_port = inbox
    http_port, suffix = free_port(), uuid.uuid4().hex[:6]
    env = {
        **os.environ,
        **infrastructure.env(),
        "ONEWINDOW_DB_PREFIX": f"{infrastructure.namespace}_ntp{suffix}",
        "NOTIFICATIONS_CONSUMER_GROUP": f"notifications-process-{suffix}",
        "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        "NOTIFICATIONS_SUPERVISOR_EMAIL": "duty-supervisor@example.org",
    }
    log_file = tmp_path / "notifications.log"
    with log_file.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "onewindow.notifications", "--port", str(http_port)],
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{http_port}"
        deadline = time.monotonic() + 60
        while not await _ready(url):
            assert process.returncode is None, log_file.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the service did not become ready"
            await asyncio.sleep(0.3)
        case_id = f"OW-P-{uuid.uuid4().hex[:10]}"
        await _publish(infrastructure, examples.deadline_escalated(case_id))
        deadline = time.monotonic() + 30
        while not [m for m in box.mail if case_id in str(m["Subject"])]:
            assert time.monotonic() < deadline, log_file.read_text(errors="replace")[-3000:]
            await asyncio.sleep(0.2)
        (mail,) = [m for m in box.mail if case_id in str(m["Subject"])]
        assert str(mail["To"]) == "duty-supervisor@example.org"
        assert str(mail["Subject"]).startswith("办理超期")
        logged = log_file.read_text(errors="replace")
        assert "d***@example.org" in logged
        assert "duty-supervisor@example.org" not in logged
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def _ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(f"{url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def _publish(infrastructure: Infrastructure, event: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        envelope = new_envelope(
            event.TYPE, source="onewindow/applications", correlation_id=event.application_id
        )
        await producer.send_and_wait(
            infrastructure.topic("applications.events"),
            event.model_dump_json().encode(),
            key=event.application_id.encode(),
            headers=build_headers(envelope),
        )
    finally:
        await producer.stop()
