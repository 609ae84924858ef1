"""A service process that gets SIGTERM under load stops gracefully: it finishes the batch
it holds, commits its offsets, leaves its group and exits with status 0 within the group's
session timeout; nothing it was given is lost, and nothing is handled twice when the next
process takes over. Real Kafka and database; the service is its own OS process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.contracts.topics import all_topic_names
from onewindow.contracts.v1.identity import CloseCase
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime.mongo import make_client
from onewindow.runtime.subscriber import Shutdown, StopRequested
from onewindow.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration

SERVICE = Path(__file__).with_name("drain_service.py")
TOPIC = "identity.commands"
GROUP = "drain-test"
SESSION_TIMEOUT_S = 10.0  # aiokafka's default, which the services keep
CASES = 120
COMMANDS_PER_CASE = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def prefix(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """Topics of this test's own, deleted afterwards."""
    own = f"{infrastructure.topic_prefix}{uuid.uuid4().hex[:6]}."
    await ensure_topics(infrastructure.kafka_bootstrap, prefix=own)
    yield own
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([own + name for name in all_topic_names()])
    finally:
        await admin.close()


class ServiceProcess:
    """The drain service as a child process, its output kept in a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(SERVICE)],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def ready(self, within_s: float = 60) -> None:
        url = f"http://127.0.0.1:{self.env['DRAIN_HTTP_PORT']}/readyz"
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                assert self.proc is not None
                assert self.proc.poll() is None, self.log.read_text()[-2000:]
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url, timeout=2)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise AssertionError(f"not ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop it gracefully (SIGKILL only if that fails): a process SIGKILLed while
        FerretDB streams it a cursor leaves that PostgreSQL query waiting on its client, and
        dropping the database afterwards would wait on it, holding locks others need."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


async def handled_ids(env: dict[str, str]) -> list[str]:
    client = make_client(env["MONGODB_URL"])
    try:
        commits = client[f"{env['ONEWINDOW_DB_PREFIX']}_drain_test"].commits
        return [h async for doc in commits.find({}, {"handled": 1}) for h in doc.get("handled", [])]
    finally:
        await client.close()


async def until_handled(env: dict[str, str], count: int) -> None:
    while len(await handled_ids(env)) < count:  # noqa: ASYNC110 - the database is polled
        await asyncio.sleep(0.1)


async def committed_offsets(bootstrap: str, group: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in found.items()}


async def group_member_ids(bootstrap: str, group: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    return [member[0] for member in described.groups[0][5]] if described.groups else []


async def group_members(bootstrap: str, group: str) -> int:
    return len(await group_member_ids(bootstrap, group))


def drain_env(infrastructure: Infrastructure, prefix: str, **more: str) -> dict[str, str]:
    """The drain service's environment: this test's topics, a database of its own."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
        "MONGODB_URL": infrastructure.mongodb_url,
        "ONEWINDOW_TOPIC_PREFIX": prefix,
        "ONEWINDOW_DB_PREFIX": f"{infrastructure.namespace}{uuid.uuid4().hex[:4]}",
        "DRAIN_HTTP_PORT": str(free_port()),
        **more,
    }


async def send_close(producer: AIOKafkaProducer, prefix: str, case: str) -> tuple[str, Any]:
    """A `CloseCase` for `case` on the test's command topic: its message id and metadata."""
    message = CloseCase(application_id=case, outcome="approved")
    envelope = new_envelope(message.TYPE, source="test", correlation_id=case)
    sent = await producer.send_and_wait(
        prefix + TOPIC,
        message.model_dump_json().encode(),
        key=case.encode(),
        headers=build_headers(envelope),
    )
    return envelope.id, sent


async def drop_drain_database(infrastructure: Infrastructure, env: dict[str, str]) -> None:
    client = make_client(infrastructure.mongodb_url)
    with contextlib.suppress(Exception):
        await client.drop_database(f"{env['ONEWINDOW_DB_PREFIX']}_drain_test")
    await client.close()


async def test_sigterm_under_load_finishes_commits_leaves_and_exits_0_within_the_session_timeout(
    infrastructure: Infrastructure, prefix: str, tmp_path: Path
) -> None:
    env = drain_env(infrastructure, prefix, DRAIN_HANDLE_S="0.2")
    first = ServiceProcess(env, tmp_path / "first.log")
    second = ServiceProcess(env, tmp_path / "second.log")
    producer = AIOKafkaProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    where: dict[str, tuple[int, int]] = {}  # message id -> (partition, offset)
    await producer.start()
    first.start()
    try:
        await first.ready()

        async def send(case: str) -> None:
            message_id, sent = await send_close(producer, prefix, case)
            where[message_id] = (sent.partition, sent.offset)

        cases = [f"case-{uuid.uuid4().hex[:8]}" for _ in range(CASES)]
        for _ in range(COMMANDS_PER_CASE):  # a backlog several batches deep
            await asyncio.gather(*(send(case) for case in cases))

        await until_handled(env, CASES // 2)  # well into the work
        assert first.proc is not None
        stopped_at = time.monotonic()
        first.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(first.proc.wait, 30)
        took = time.monotonic() - stopped_at

        # It exited of its own accord, in time, and left its group (no member waits out
        # a session timeout on the coordinator).
        assert code == 0, first.log.read_text()[-3000:]
        assert took < SESSION_TIMEOUT_S, took
        assert await group_members(infrastructure.kafka_bootstrap, prefix + GROUP) == 0
        # What it held was finished and committed: every record below a partition's
        # committed offset is handled, and none at or past it.
        committed = await committed_offsets(infrastructure.kafka_bootstrap, prefix + GROUP)
        handled = set(await handled_ids(env))
        below = {m for m, (p, o) in where.items() if o < committed.get(p, 0)}
        assert 0 < len(handled) < len(where), "stopped while work was left"
        assert below - handled == set(), "committed but not handled: lost"
        assert handled - below == set(), "handled but not committed: would be handled twice"

        # The next process takes over, handles the rest and nothing a second time.
        second.start()
        await second.ready()
        deadline = time.monotonic() + 90
        while len(handled := set(await handled_ids(env))) < len(where):
            assert time.monotonic() < deadline, f"{len(handled)} of {len(where)} handled"
            await asyncio.sleep(0.2)
        all_handled = await handled_ids(env)
        assert len(all_handled) == len(set(all_handled)) == len(where)
        assert "message already handled" not in second.log.read_text()
        assert "given up" not in first.log.read_text()
    finally:
        await producer.stop()
        first.stop()
        second.stop()
        await drop_drain_database(infrastructure, env)


async def test_a_batch_that_outlives_the_shutdown_deadline_is_given_up_unacknowledged() -> None:
    shutdown = Shutdown()
    assert await shutdown.bounded(asyncio.sleep(0.01, result="done")) == "done"
    cancelled = asyncio.Event()

    async def waiting_out_an_outage() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            cancelled.set()

    shutdown.begin(within_s=0.2)
    began = time.monotonic()
    with pytest.raises(StopRequested):
        await shutdown.bounded(waiting_out_an_outage())
    assert cancelled.is_set()
    assert time.monotonic() - began < 1.0


async def test_a_static_member_killed_and_restarted_takes_its_partitions_back_and_loses_nothing(
    infrastructure: Infrastructure, prefix: str, tmp_path: Path
) -> None:
    # As under `make run`'s supervisor: the process has a stable instance name, so its
    # consumer is a static member (KIP-345) that a restart replaces without a rebalance.
    env = drain_env(infrastructure, prefix, ONEWINDOW_INSTANCE_ID="drain-1", DRAIN_HANDLE_S="0.05")
    group = prefix + GROUP
    first = ServiceProcess(env, tmp_path / "first.log")
    second = ServiceProcess(env, tmp_path / "second.log")
    producer = AIOKafkaProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    first.start()
    try:
        await first.ready()

        async def send(case: str) -> None:
            await send_close(producer, prefix, case)

        cases = [f"case-{uuid.uuid4().hex[:8]}" for _ in range(CASES)]
        await asyncio.gather(*(send(case) for case in cases[: CASES // 2]))
        await until_handled(env, CASES // 4)
        members = await group_member_ids(infrastructure.kafka_bootstrap, group)
        # The broker names a static member after its group.instance.id.
        assert [m.split(":", 1)[0] for m in members] == ["drain-1"], members

        assert first.proc is not None
        os.killpg(first.proc.pid, signal.SIGKILL)  # a crash: no goodbye to the group
        first.proc.wait()
        killed_at = time.monotonic()
        await asyncio.gather(*(send(case) for case in cases[CASES // 2 :]))
        second.start()
        await second.ready()
        deadline = time.monotonic() + 90
        while len(set(await handled_ids(env))) < CASES:
            assert time.monotonic() < deadline, "not everything was handled after the restart"
            await asyncio.sleep(0.1)
        resumed_s = time.monotonic() - killed_at

        # One member still (the restarted process replaced the dead one: no second member
        # waited for the first's session to expire), and every command handled once.
        members = await group_member_ids(infrastructure.kafka_bootstrap, group)
        assert [m.split(":", 1)[0] for m in members] == ["drain-1"], members
        assert len(set(await handled_ids(env))) == CASES
        print(f"static member: everything handled {resumed_s:.1f} s after the SIGKILL")
    finally:
        await producer.stop()
        first.stop()
        second.stop()
        await drop_drain_database(infrastructure, env)
