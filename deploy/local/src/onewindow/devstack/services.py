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
    """A service process: its name, Python module, and default HTTP port."""

    name: str
    module: str
    port: int

    @property
    def env_prefix(self) -> str:
        return self.name.upper().replace("-", "_") + "_"

    @property
    def process(self) -> Managed:
        return Managed(self.name)

    def url(self, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}"


DEVELOPMENT_ENV = "ONEWINDOW_ENV"

SERVICES: tuple[Service, ...] = (
    Service("identity", "onewindow.identity", 8082),
    Service("work-permit", "onewindow.work_permit", 8083),
    Service("residence-permit", "onewindow.residence_permit", 8084),
    Service("notifications", "onewindow.notifications", 8085),
    Service("applications", "onewindow.applications", 8081),
    Service("gateway", "onewindow.gateway", 8080),
)


def start_service(service: Service, env: Mapping[str, str], managed: Managed | None = None) -> int:
    """Start one service as its own OS process with this interpreter.

    The local stack is a development stack: its services run with
    `ONEWINDOW_ENV=development` (the gateway then accepts the development signing key),
    unless the caller's environment names another.
    """
    env = {DEVELOPMENT_ENV: os.environ.get(DEVELOPMENT_ENV, "development"), **env}
    return (managed or service.process).start([sys.executable, "-m", service.module], env=env)


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
