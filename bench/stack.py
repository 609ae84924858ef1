"""The system under test: every service as its own process, in a namespace of the bench's own.

Kafka and FerretDB are the local stack's (started if they are not running, never
stopped). The services run with a topic prefix and a database prefix of their own,
so the bench can share the broker and the database with a running `make run` or a
test session without cross-talk; they are stopped, and the namespace's topics and
databases removed, when the bench ends, also on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient

from bench.dbtrace import ENV
from onewindow.contracts.topics import DEFAULT_PARTITIONS
from onewindow.devstack import infra
from onewindow.devstack.paths import project_root, state_dir
from onewindow.devstack.ports import free_port
from onewindow.devstack.processes import Managed
from onewindow.devstack.services import SERVICES, process_env, start_service, wait_ready
from onewindow.devstack.versions import database_version, local_kafka_version
from onewindow.runtime.topics import ensure_topics

MAILSINK = "mailsink"
STOP_TIMEOUT_S = 15.0


@dataclass
class BenchStack:
    """Kafka, FerretDB and one namespace's service processes (with a mail sink)."""

    namespace: str = field(default_factory=lambda: f"b{uuid.uuid4().hex[:8]}")
    log_level: str = "INFO"
    trace_db: bool = True
    kafka_bootstrap: str = field(default_factory=infra.kafka_bootstrap)
    mongodb_url: str = field(default_factory=infra.mongodb_url)
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Managed] = field(default_factory=dict)

    @property
    def topic_prefix(self) -> str:
        return self.namespace + "."

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def start_infrastructure(self) -> dict[str, str]:
        """Start Kafka and FerretDB unless they run; create the namespace's topics.

        Returns the servers' versions as they report them."""
        infra.start_kafka()
        infra.start_ferretdb()
        asyncio.run(ensure_topics(self.kafka_bootstrap, prefix=self.topic_prefix))
        return {
            "kafka": local_kafka_version(),
            "database": asyncio.run(database_version(self.mongodb_url)),
        }

    def start_services(self, timeout_s: float = 120.0) -> None:
        """Start every service as its own process and wait until each answers /readyz."""
        mail_port = free_port()
        mailsink = self._managed(MAILSINK)
        mailsink.start(
            [
                sys.executable,
                "-m",
                "onewindow.devstack.mailsink",
                "--port",
                str(mail_port),
                "--folder",
                str(state_dir() / f"{self.namespace}-mail"),
            ]
        )
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "MONGODB_URL": self.mongodb_url,
            "ONEWINDOW_TOPIC_PREFIX": self.topic_prefix,
            "ONEWINDOW_DB_PREFIX": self.namespace,
            "ONEWINDOW_LOG_LEVEL": self.log_level,
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(mail_port),
            # The load would otherwise meet the gateway's rate limits, not its capacity:
            # every simulated caller comes from this one address (6,000 requests a
            # minute per address as deployed), and each seeded person applies for up
            # to 40 employers (20 submissions a minute per account as deployed).
            "GATEWAY_RATE_PER_ADDRESS_PER_MINUTE": "6000000",
            "GATEWAY_RATE_SUBMISSIONS_PER_MINUTE": "6000000",
        }
        for service in SERVICES:
            port = free_port()
            env[f"{service.env_prefix}HTTP_PORT"] = str(port)
            self.urls[service.name] = service.url(port)
        for service in SERVICES:
            env[f"ONEWINDOW_{service.env_prefix}URL"] = self.urls[service.name]
        for service in SERVICES:
            managed = self._managed(service.name)
            if not self.trace_db:
                start_service(service, env, managed)
                continue
            trace = {ENV: str(self.trace_file(service.name)), "PYTHONPATH": str(project_root())}
            argv = [sys.executable, "-m", "bench.dbtrace", service.module]
            managed.start(argv, env=process_env(service, env) | trace)
        services = {s.name: self.processes[s.name] for s in SERVICES}
        wait_ready(self.urls, services, timeout=timeout_s)

    def trace_file(self, name: str) -> Path:
        """Where `bench.dbtrace` leaves the database timings of service `name` at its exit."""
        folder = state_dir() / "bench-dbtrace"
        folder.mkdir(exist_ok=True)
        return folder / f"{self.namespace}-{name}.json"

    def db_timings(self) -> dict[str, Any]:
        """Each stopped service's database commands, slowest total first."""
        found: dict[str, Any] = {}
        for service in SERVICES:
            path = self.trace_file(service.name)
            if path.is_file():
                rows = json.loads(path.read_text())
                found[service.name] = dict(
                    sorted(rows.items(), key=lambda item: -float(item[1]["total_ms"]))
                )
        return found

    def _managed(self, name: str) -> Managed:
        managed = Managed(f"{self.namespace}-{name}")
        self.processes[name] = managed
        return managed

    def pids(self) -> dict[str, int]:
        """The pid of every process the run depends on: services, mail sink, Kafka, FerretDB
        and the PostgreSQL under it (its CPU includes every backend process)."""
        found = {name: m.pid() for name, m in self.processes.items()}
        found["kafka"] = infra.KAFKA.pid()
        found["ferretdb"] = infra.FERRETDB.pid()
        found["postgres"] = infra.POSTGRES.pid()
        return {name: pid for name, pid in found.items() if pid is not None}

    def stop(self) -> None:
        """SIGTERM every process of the namespace at once, then wait (SIGKILL after 15 s)."""
        for managed in self.processes.values():
            if (pid := managed.pid()) is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for managed in self.processes.values():
            managed.stop(timeout=max(0.5, deadline - time.monotonic()))

    def remove_data(self) -> None:
        """Delete the namespace's topics, databases, mail and command traces (the services'
        logs stay in the state folder's `logs/`, like every other process's)."""
        asyncio.run(_remove(self.kafka_bootstrap, self.mongodb_url, self.namespace))
        shutil.rmtree(state_dir() / f"{self.namespace}-mail", ignore_errors=True)
        for service in SERVICES:
            self.trace_file(service.name).unlink(missing_ok=True)


async def collection_sizes(mongodb_url: str, namespace: str) -> dict[str, dict[str, int]]:
    """Documents per collection of each of the namespace's databases."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_url, serverSelectionTimeoutMS=5000
    )
    found: dict[str, dict[str, int]] = {}
    try:
        for name in sorted(await client.list_database_names()):
            if name.startswith(namespace + "_"):
                db = client[name]
                found[name.removeprefix(namespace + "_")] = {
                    c: await db[c].estimated_document_count()
                    for c in sorted(await db.list_collection_names())
                }
    finally:
        await client.close()
    return found


async def create_plain_topics(bootstrap: str, names: list[str], wait_s: float = 30.0) -> None:
    """Topics shaped like the registry's (6 partitions, replication 1) for the baselines,
    returned once every partition has a leader (a first write would otherwise be retried)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="onewindow-bench")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(n, DEFAULT_PARTITIONS, 1) for n in names if n not in existing]
        if wanted:
            await admin.create_topics(wanted)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            described = await admin.describe_topics(names)
            led = [
                p
                for topic in described
                if topic.get("error_code", 0) == 0
                for p in topic.get("partitions", [])
                if p.get("leader", -1) >= 0
            ]
            if len(led) == DEFAULT_PARTITIONS * len(names):
                return
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _remove(bootstrap: str, mongodb_url: str, namespace: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="onewindow-bench")
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(namespace + ".")]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_url, serverSelectionTimeoutMS=5000
    )
    try:
        for name in await client.list_database_names():
            if name.startswith(namespace + "_"):
                await client.drop_database(name)
    finally:
        await client.close()
