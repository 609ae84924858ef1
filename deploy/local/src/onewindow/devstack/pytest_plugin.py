"""Pytest fixtures for real infrastructure: Kafka and a MongoDB-protocol database.

The source is chosen by `selection.choose`; integration tests never run against
an in-memory stand-in. The session header names the servers and their versions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.devstack import infra
from onewindow.devstack.paths import state_dir
from onewindow.devstack.ports import free_port
from onewindow.devstack.processes import Managed
from onewindow.devstack.selection import Source, choose, docker_answers
from onewindow.devstack.services import SERVICES, start_service, wait_ready
from onewindow.devstack.versions import database_version, local_kafka_version
from onewindow.runtime.clock import write_clock_offset
from onewindow.runtime.mongo import make_client
from onewindow.runtime.topics import ensure_topics


@dataclass
class Infrastructure:
    """The servers of this test session, and the namespace its data lives in."""

    source: Source
    kafka_bootstrap: str
    mongodb_url: str
    kafka_version: str
    database_version: str
    # Topics and databases of this session carry this prefix, so a test run can
    # share Kafka and the database with a running `make run` without cross-talk.
    namespace: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}")
    _containers: list[Any] = field(default_factory=list)

    @property
    def topic_prefix(self) -> str:
        return self.namespace + "."

    def env(self) -> dict[str, str]:
        """Environment for a service process started by a test."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "MONGODB_URL": self.mongodb_url,
            "ONEWINDOW_TOPIC_PREFIX": self.topic_prefix,
            "ONEWINDOW_DB_PREFIX": self.namespace,
        }

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def isolated(self, label: str) -> Infrastructure:
        """The same servers under a namespace of their own, with its topics created:
        for tests whose service consumers must not share groups with other tests."""
        child = Infrastructure(
            source=self.source,
            kafka_bootstrap=self.kafka_bootstrap,
            mongodb_url=self.mongodb_url,
            kafka_version=self.kafka_version,
            database_version=self.database_version,
            namespace=f"{self.namespace}{label}",
        )
        asyncio.run(ensure_topics(self.kafka_bootstrap, prefix=child.topic_prefix))
        return child


def _start() -> Infrastructure:
    source = choose(os.environ, docker_answers)
    containers: list[Any] = []
    if source is Source.ENVIRONMENT:
        kafka, mongo = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MONGODB_URL"]
        kafka_version = "as configured by KAFKA_BOOTSTRAP_SERVERS"
    elif source is Source.TESTCONTAINERS:
        from testcontainers.kafka import KafkaContainer
        from testcontainers.mongodb import MongoDbContainer

        kafka_container = KafkaContainer("confluentinc/cp-kafka:7.9.0").with_kraft()
        mongo_container = MongoDbContainer("mongo:8.0")
        kafka_container.start()
        mongo_container.start()
        containers = [kafka_container, mongo_container]
        kafka, mongo = kafka_container.get_bootstrap_server(), mongo_container.get_connection_url()
        kafka_version = "Confluent Platform 7.9 container (KRaft)"
    else:
        infra.start_kafka()
        infra.start_ferretdb()
        kafka, mongo = infra.kafka_bootstrap(), infra.mongodb_url()
        kafka_version = local_kafka_version()
    db_version = asyncio.run(database_version(mongo))
    if source is Source.LOCAL:
        db_version += f" on {infra.postgres_version()}"
    found = Infrastructure(
        source=source,
        kafka_bootstrap=kafka,
        mongodb_url=mongo,
        kafka_version=kafka_version,
        database_version=db_version,
    )
    found._containers = containers
    asyncio.run(ensure_topics(kafka, prefix=found.topic_prefix))
    return found


_session: Infrastructure | None = None


def _needs_infrastructure(items: list[pytest.Item]) -> bool:
    return any(item.get_closest_marker(m) for item in items for m in ("integration", "e2e"))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    global _session
    if _session is None and _needs_infrastructure(session.items):
        _session = _start()
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"infrastructure ({_session.source}): {_session.kafka_version} "
                f"at {_session.kafka_bootstrap}; {_session.database_version} "
                f"at {_session.mongodb_url}; namespace {_session.namespace}"
            )


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _session is not None:
        if os.environ.get("ONEWINDOW_KEEP_TEST_DATA") != "1":
            asyncio.run(remove_namespace(_session))
        for container in _session._containers:
            container.stop()


async def remove_namespace(found: Infrastructure) -> None:
    """Delete a namespace's topics and databases (with its isolated children's), so runs
    do not pile up on a shared broker (the test session's unless
    `ONEWINDOW_KEEP_TEST_DATA=1` keeps them for a look; `make fuzz`'s)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient

    admin = AIOKafkaAdminClient(bootstrap_servers=found.kafka_bootstrap)
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(found.namespace)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(found.mongodb_url)
    try:
        for name in await client.list_database_names():
            if name.startswith(found.namespace):
                await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture(scope="session")
def infrastructure() -> Infrastructure:
    """Kafka and the database for integration tests (see `selection`)."""
    global _session
    if _session is None:
        _session = _start()
    return _session


@contextlib.asynccontextmanager
async def _database(infrastructure: Infrastructure) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client = make_client(infrastructure.mongodb_url)
    name = f"{infrastructure.namespace}_{uuid.uuid4().hex[:10]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def scratch_db(
    infrastructure: Infrastructure,
) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of the session's namespace for one test alone, dropped after it."""
    async with _database(infrastructure) as db:
        yield db


@pytest.fixture(scope="module")
async def module_db(
    infrastructure: Infrastructure,
) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of the session's namespace for one test module, dropped after it."""
    async with _database(infrastructure) as db:
        yield db


@dataclass
class RunningServices:
    """Every service of the system, each its own OS process, started for this session."""

    infrastructure: Infrastructure
    urls: dict[str, str]
    # Where each one's /readyz and /metrics answer (the gateway's are not on its public port).
    probe_urls: dict[str, str]
    processes: dict[str, Managed]
    env: dict[str, str]
    clock_file: Path
    mail_dir: Path

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    def move_clock(self, offset: timedelta) -> None:
        """Move every service's clock to now + `offset` (they re-read it within a second)."""
        write_clock_offset(self.clock_file, offset)

    def kill(self, name: str) -> None:
        """SIGKILL a service process (its whole process group): a crash, not a shutdown."""
        pid = self.processes[name].pid()
        assert pid is not None, f"{name} is not running"
        os.killpg(pid, signal.SIGKILL)
        while self.processes[name].pid() is not None:
            time.sleep(0.05)

    def restart(self, name: str) -> None:
        """Start a service again (after a test killed it) and wait until it is ready."""
        service = next(s for s in SERVICES if s.name == name)
        start_service(service, self.env, self.processes[name])
        wait_ready({name: self.probe_urls[name]}, self.processes, timeout=120)


@pytest.fixture(scope="session")
def services(infrastructure: Infrastructure) -> Iterator[RunningServices]:
    """Start every service and the gateway as separate processes; stop them afterwards.

    They work in a namespace of their own, so in-process service tests of the same
    session never join their consumer groups."""
    with run_services(infrastructure.isolated("e2e")) as running:
        yield running


@contextlib.contextmanager
def run_services(infrastructure: Infrastructure) -> Iterator[RunningServices]:
    """Every service and the gateway as separate processes on `infrastructure` (its
    namespace, Kafka and database), with a mail sink and a clock file of their own;
    stopped when the block ends. Like the `services` fixture, for a test that needs a
    system of its own, e.g. on a database it stops (`infra.DedicatedFerretDB`)."""
    env = infrastructure.env()
    clock_file = state_dir() / f"{infrastructure.namespace}-clock"
    write_clock_offset(clock_file, timedelta(0))
    mail_dir = state_dir() / f"{infrastructure.namespace}-mail"
    smtp_port = free_port()
    mailsink = Managed(f"{infrastructure.namespace}-mailsink")
    mailsink.start(
        [
            sys.executable,
            "-m",
            "onewindow.devstack.mailsink",
            "--port",
            str(smtp_port),
            "--folder",
            str(mail_dir),
        ]
    )
    env.update(
        {
            "ONEWINDOW_CLOCK_FILE": str(clock_file),
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            "APPLICATIONS_DEADLINE_CHECK_INTERVAL_S": "1",
        }
    )
    urls: dict[str, str] = {}
    probes: dict[str, str] = {}
    for service in SERVICES:
        port = free_port()
        management = free_port() if service.management else None
        urls[service.name] = service.url(port)
        probes[service.name] = service.url(management or port)
        env[f"{service.env_prefix}HTTP_PORT"] = str(port)
        if management is not None:
            env[f"{service.env_prefix}MANAGEMENT_PORT"] = str(management)
        env[f"ONEWINDOW_{service.env_prefix}URL"] = urls[service.name]
    processes = {s.name: Managed(f"{infrastructure.namespace}-{s.name}") for s in SERVICES}
    try:
        for service in SERVICES:
            start_service(service, env, processes[service.name])
        wait_ready(probes, processes, timeout=120)
        yield RunningServices(infrastructure, urls, probes, processes, env, clock_file, mail_dir)
    finally:
        for managed in [*processes.values(), mailsink]:
            managed.stop()
