"""The system the chaos runs break: a stack of its own, so nothing they kill is shared.

Its own Kafka 4.4 (own ports and data folder), its own PostgreSQL cluster and a FerretDB
on it (own port), its own mail sink, and every service as supervised processes
(`onewindow.devstack.supervisor`, as under `make run`) started through `chaos.faults`,
with ports of their own, in a namespace of their own. The shared local stack (Kafka on
9092, FerretDB on 27017, the PostgreSQL under `.state/postgres`) is never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from chaos.faults import ENV as FAULT_ENV
from onewindow.devstack import infra
from onewindow.devstack.paths import project_root, state_dir
from onewindow.devstack.ports import free_port
from onewindow.devstack.processes import Managed
from onewindow.devstack.services import MANAGEMENT_PORT_OFFSET, SERVICES
from onewindow.devstack.supervised import service_children, wait_ready
from onewindow.devstack.supervisor import Child, Plan


def own_port() -> int:
    """A free loopback port of its own (see `onewindow.devstack.ports`), with the port of
    a gateway's management beside it."""
    return free_port(with_offset=MANAGEMENT_PORT_OFFSET)


@dataclass
class ChaosStack:
    """Kafka, PostgreSQL, FerretDB, a mail sink and supervised services, all its own."""

    replicas: int = 1
    namespace: str = field(default_factory=lambda: f"c{uuid.uuid4().hex[:8]}")
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        self.folder = state_dir() / "chaos" / self.namespace
        self.folder.mkdir(parents=True, exist_ok=True)
        self.kafka = infra.DedicatedKafka(
            self.namespace, own_port(), own_port(), self.folder / "kafka"
        )
        self.postgres = infra.DedicatedPostgres(self.namespace)
        self.database = infra.DedicatedFerretDB(
            self.namespace, own_port(), pool=100, postgres=self.postgres
        )
        self.mailsink = Managed(f"{self.namespace}-mailsink")
        self.mail_dir = self.folder / "mail"
        self.fault_file = self.folder / "fault-rate"
        self.ports = {service.name: own_port() for service in SERVICES}
        self.plan = self._plan()

    @property
    def topic_prefix(self) -> str:
        return self.namespace + "."

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def env(self) -> dict[str, str]:
        """What a client (the checks, `onewindow ops`) needs to reach this stack."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap,
            "MONGODB_URL": self.database.url,
            "ONEWINDOW_TOPIC_PREFIX": self.topic_prefix,
            "ONEWINDOW_DB_PREFIX": self.namespace,
        }

    def _plan(self) -> Plan:
        smtp = own_port()
        self._smtp_port = smtp
        env = self.env() | {
            "ONEWINDOW_LOG_LEVEL": self.log_level,
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(smtp),
            FAULT_ENV: str(self.fault_file),
            "PYTHONPATH": str(project_root()),
        }
        for service in SERVICES:
            env[f"ONEWINDOW_{service.env_prefix}URL"] = service.url(self.ports[service.name])
        argv = {s.name: [sys.executable, "-m", "chaos.faults", s.module] for s in SERVICES}
        return Plan(
            name=f"{self.namespace}-supervisor",
            children=service_children(
                env,
                replicas=self.replicas,
                ports=self.ports,
                prefix=f"{self.namespace}-",
                argv=argv,
            ),
            state_file=str(self.folder / "supervisor.json"),
            # Restart soon after a kill: the chaos runs measure recovery, not patience.
            backoff_base_s=0.2,
            stable_after_s=15.0,
        )

    def start(self, timeout_s: float = 240.0) -> None:
        """Start everything; return once every service answers ready."""
        from onewindow.runtime.topics import ensure_topics

        self.set_fault_rate(0.0)
        self.kafka.start()
        self.database.start()
        asyncio.run(ensure_topics(self.kafka.bootstrap, prefix=self.topic_prefix))
        self.mailsink.start(
            [
                sys.executable,
                "-m",
                "onewindow.devstack.mailsink",
                "--port",
                str(self._smtp_port),
                "--folder",
                str(self.mail_dir),
            ]
        )
        self.plan.start(self.folder / "plan.json")
        wait_ready(self.plan, timeout_s)

    def set_fault_rate(self, rate: float) -> None:
        self.fault_file.write_text(str(rate))

    def children(self, service: str | None = None) -> list[Child]:
        """The supervised processes (of one service)."""
        return [
            c
            for c in self.plan.children
            if service is None or _service_of(c.name, self.namespace) == service
        ]

    def signal(self, child: Child, sig: signal.Signals) -> int | None:
        """Send `sig` to a supervised process; its pid, or None if it was not running."""
        pid = child.managed.pid()
        if pid is not None:
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return None
        return pid

    async def wait_restarted(
        self, child: Child, old_pid: int | None, within_s: float = 180
    ) -> float | None:
        """Seconds until `child` runs again under a new pid and answers ready (None if
        it did not within `within_s`)."""
        began = time.monotonic()
        async with httpx.AsyncClient(timeout=2.0) as http:
            while time.monotonic() - began < within_s:
                pid = child.managed.pid()
                if pid is not None and pid != old_pid and child.url:
                    try:
                        if (await http.get(child.url + "/readyz")).status_code == 200:
                            return time.monotonic() - began
                    except httpx.HTTPError:
                        pass
                await asyncio.sleep(0.2)
        return None

    def restarts(self) -> dict[str, int]:
        state = self.plan.state()
        return {
            name.removeprefix(f"{self.namespace}-"): int(row.get("restarts", 0))
            for name, row in state.items()
        }

    def log_files(self) -> list[Path]:
        return [c.managed.log_file for c in self.plan.children]

    def stop(self) -> None:
        """Stop every process and delete every folder and database of the run."""
        keep = os.environ.get("ONEWINDOW_KEEP_CHAOS") == "1"  # the logs, to look at
        self.plan.stop()
        self.mailsink.stop()
        self.database.drop()
        if keep:
            self.kafka.managed.stop(timeout=30)  # its server.log stays in the folder
        else:
            self.kafka.remove()
            shutil.rmtree(self.folder, ignore_errors=True)


def _service_of(process: str, namespace: str) -> str:
    name = process.removeprefix(f"{namespace}-")
    head, _, tail = name.rpartition("-")
    return head if tail.isdigit() else name
