"""The One Window service processes of the local stack."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from onewindow.devstack.processes import Managed


@dataclass(frozen=True)
class Service:
    """A service process: its name, Python module, and default HTTP port; `management`
    when its `/readyz` and `/metrics` answer on a port of their own (`management_port`),
    never on its public one."""

    name: str
    module: str
    port: int
    management: bool = False

    @property
    def env_prefix(self) -> str:
        return self.name.upper().replace("-", "_") + "_"

    @property
    def process(self) -> Managed:
        return Managed(self.name)

    def url(self, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}"

    def management_port(self, port: int | None = None) -> int | None:
        """The port of `/readyz` and `/metrics` when the service listens on `port`."""
        return (port or self.port) + MANAGEMENT_PORT_OFFSET if self.management else None

    def probe_url(self, port: int | None = None) -> str:
        """Where its `/readyz` and `/metrics` answer when it listens on `port`."""
        return self.url(self.management_port(port) or port)

    def port_env(self, port: int | None = None, *, shared_by: int = 0) -> dict[str, str]:
        """The settings that put it on `port` (and its management port). `shared_by` k ≥ 1:
        the k-th of several processes on one port (`http_reuse_port`), each with its own
        management port, `replica_port` apart."""
        env = {f"{self.env_prefix}HTTP_PORT": str(port or self.port)}
        management = self.management_port(port)
        if shared_by:
            if management is None:
                raise ValueError(f"{self.name}: processes sharing a port need management ports")
            env[f"{self.env_prefix}HTTP_REUSE_PORT"] = "true"
            management += PORT_STEP * (shared_by - 1)
        if management is not None:
            env[f"{self.env_prefix}MANAGEMENT_PORT"] = str(management)
        return env


DEVELOPMENT_ENV = "ONEWINDOW_ENV"
# The gateway's public port answers no `/readyz` and no `/metrics`: they are on this
# port above it (8080 → 9080), on loopback.
MANAGEMENT_PORT_OFFSET = 1000
# Ports of a service's replicas (and of the management ports of processes sharing one
# public port) are this far apart.
PORT_STEP = 10

SERVICES: tuple[Service, ...] = (
    Service("identity", "onewindow.identity", 8082),
    Service("work-permit", "onewindow.work_permit", 8083),
    Service("residence-permit", "onewindow.residence_permit", 8084),
    Service("notifications", "onewindow.notifications", 8085),
    Service("applications", "onewindow.applications", 8081),
    Service("gateway", "onewindow.gateway", 8080, management=True),
)


def start_service(service: Service, env: Mapping[str, str], managed: Managed | None = None) -> int:
    """Start one service as its own OS process with this interpreter, in `process_env`."""
    argv = [sys.executable, "-m", service.module]
    return (managed or service.process).start(argv, env=process_env(service, env))


def process_env(service: Service, env: Mapping[str, str]) -> dict[str, str]:
    """What a service process of the local stack gets beside the caller's environment.

    The local stack is a development stack: its services run with
    `ONEWINDOW_ENV=development` (the gateway then accepts the development signing key,
    every service the development service secret), unless the caller's environment
    names another. Without a port in `env`, it listens on its default ones.
    """
    ports = {} if f"{service.env_prefix}HTTP_PORT" in env else service.port_env()
    return {DEVELOPMENT_ENV: os.environ.get(DEVELOPMENT_ENV, "development"), **ports, **env}


def readyz(url: str) -> tuple[bool, str]:
    """Whether `url`/readyz says ready, with what it said."""
    try:
        response = httpx.get(f"{url}/readyz", timeout=2.0)
    except httpx.HTTPError as exc:
        return False, type(exc).__name__
    return response.status_code == 200, response.text


def wait_ready(urls: Mapping[str, str], managed: Mapping[str, Managed], timeout: float) -> None:
    """Wait until every service answers ready; fail naming the ones that do not."""
    deadline = time.monotonic() + timeout
    pending = dict(urls)
    last: dict[str, str] = {}
    while pending:
        for name, url in list(pending.items()):
            ok, said = readyz(url)
            last[name] = said
            if ok:
                del pending[name]
            elif managed[name].pid() is None:
                tail = managed[name].log_file.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited; end of {managed[name].log_file}:\n{tail}")
        if pending and time.monotonic() > deadline:
            detail = "; ".join(f"{n}: {last[n]}" for n in pending)
            raise RuntimeError(f"not ready after {timeout:.0f}s: {detail}")
        if pending:
            time.sleep(0.3)
