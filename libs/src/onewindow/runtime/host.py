"""The process host of a service: HTTP health, readiness and metrics beside the
Kafka broker and the database client, all started and stopped in one lifespan.

A stop (SIGTERM or SIGINT) is graceful and bounded, so the process leaves its consumer
groups within their session timeout (aiokafka's default, 10 s) and exits with status 0:
at the signal every subscriber stops fetching and finishes the batch it holds (at most
`SHUTDOWN_DRAIN_S`, see `subscriber.Shutdown`), commits its offsets and leaves its group,
while HTTP requests get `HTTP_GRACE_S` to end; then the outbox relay gets up to
`RELAY_SETTLE_S` to publish (and mark sent) what the last batches appended, and the
background tasks, the producer and the database client are closed. What a stop leaves
unpublished stays pending in the store, for the next relay that looks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import ASGIApp, Receive, Scope, Send

from onewindow.runtime import outbox, telemetry, vault
from onewindow.runtime.kafka import connect_as
from onewindow.runtime.logs import configure_logging
from onewindow.runtime.settings import ServiceSettings
from onewindow.runtime.subscriber import SHUTDOWN

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]
READY_TIMEOUT_S = 2.0
# The stop's budget, well inside the 10 s session timeout of the consumer groups.
SHUTDOWN_DRAIN_S = float(os.environ.get("ONEWINDOW_SHUTDOWN_DRAIN_S", "5"))
HTTP_GRACE_S = 2.0
# How long a service keeps an idle HTTP connection open (uvicorn's default is 5 s). A
# client that reuses a connection just as the server closes it gets no answer
# (`httpx.ReadError`), so the services' own clients let theirs go at half of this.
HTTP_KEEP_ALIVE_S = 60
INTERNAL_CLIENT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=HTTP_KEEP_ALIVE_S / 2
)
RELAY_SETTLE_S = 1.0
# Hosts whose lifespan runs in this process: a stop signal starts their drain at once.
_RUNNING: set[ServiceHost] = set()


class ServiceHost:
    """Owns one service's connections and background tasks.

    The broker is started in the background with retries, so `/healthz` answers
    at once and `/readyz` turns green only when Kafka and the database both
    answer.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        broker: KafkaBroker,
        mongo: AsyncMongoClient[dict[str, Any]],
        *,
        routers: Sequence[APIRouter] = (),
        on_start: Sequence[Hook] = (),
        on_stop: Sequence[Hook] = (),
        background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.mongo = mongo
        self.db: AsyncDatabase[dict[str, Any]] = mongo[settings.database_name]
        # While it runs, every payload this process writes or reads is sealed or unsealed
        # with it (installed by the lifespan).
        self.keyring = vault.Keyring(mongo[settings.vault_database])
        self._routers = routers
        self._on_start = on_start
        self._on_stop = on_stop
        self._background = background
        self._broker_started = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.Task[None] | None = None

    def request_stop(self) -> None:
        """Begin the graceful stop of the subscribers now; safe from a signal handler."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._draining)

    def _draining(self) -> asyncio.Task[None]:
        if self._drain is None:
            self._drain = asyncio.create_task(self._stop_subscribers())
        return self._drain

    async def _stop_subscribers(self) -> None:
        SHUTDOWN.begin(SHUTDOWN_DRAIN_S)
        if not self._broker_started.is_set():
            return
        began = time.monotonic()
        # Each stop waits for the batch under way (bounded by SHUTDOWN), whose offsets are
        # committed as it ends, then stops its consumer, which leaves the group at once
        # instead of letting the coordinator wait out the session timeout.
        outcomes = await asyncio.gather(
            *(subscriber.stop() for subscriber in self.broker.subscribers),
            return_exceptions=True,
        )
        failed = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        log.info(
            "subscribers stopped: batches finished, offsets committed, groups left",
            extra={"seconds": round(time.monotonic() - began, 3), "failed": failed},
        )

    async def _start_broker(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.broker.start()
            except Exception as exc:  # broker away: retry, /readyz stays red meanwhile
                log.warning("kafka not reachable yet, retrying", extra={"error": str(exc)})
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                self._broker_started.set()
                log.info("broker started")
                for task in self._background:
                    self._tasks.append(asyncio.create_task(task()))
                return

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state: `ok` or why not."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.db.command("ping"), READY_TIMEOUT_S)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        if not self._broker_started.is_set():
            checks["kafka"] = "connecting"
        else:
            ok = await self.broker.ping(timeout=READY_TIMEOUT_S)
            checks["kafka"] = "ok" if ok else "unavailable"
        return checks

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        vault.install(self.keyring)
        for hook in self._on_start:
            await hook()
        self._loop = asyncio.get_running_loop()
        if not _RUNNING:
            SHUTDOWN.reset()  # no other host of this process is running or stopping
        _RUNNING.add(self)
        starter = asyncio.create_task(self._start_broker())
        try:
            yield
        finally:
            _RUNNING.discard(self)
            await self._draining()
            if self._broker_started.is_set() and self._tasks:
                # The relay publishes the last appends: usually a few milliseconds, which
                # a fixed 1 s pause added to every stop (a rolling restart stops each one).
                await outbox.settle(RELAY_SETTLE_S)
            starter.cancel()
            for task in self._tasks:
                task.cancel()
            for task in [starter, *self._tasks]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for hook in self._on_stop:
                await hook()
            with contextlib.suppress(Exception):
                await self.broker.stop()
            if vault.installed() is self.keyring:
                vault.install(None)
            await self.mongo.close()

    def build_app(self) -> FastAPI:
        """The service's HTTP application: health, readiness, metrics, its own routes."""
        app = FastAPI(title=f"onewindow {self.settings.service_name}", lifespan=self.lifespan)
        app.state.broker = self.broker  # `broker_of`: what the bus's description reads

        @app.get("/healthz")
        async def healthz() -> dict[str, str]:
            alive = {"status": "alive", "service": self.settings.service_name}
            if self.settings.instance_id:  # which of the service's processes answered
                alive["instance"] = self.settings.instance_id
            return alive

        @app.get("/readyz")
        async def readyz() -> JSONResponse:
            checks = await self.readiness()
            ready = all(v == "ok" for v in checks.values())
            return JSONResponse(
                {
                    "status": "ready" if ready else "not ready",
                    "service": self.settings.service_name,
                    "checks": checks,
                },
                status_code=200 if ready else 503,
            )

        @app.get("/metrics")
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        for router in self._routers:
            app.include_router(router)
        telemetry.instrument(app, self.broker)  # when tracing is on
        if self.settings.management_port:
            app.add_middleware(ManagementPort, port=self.settings.management_port)
        return app


MANAGEMENT_PATHS = frozenset({"/readyz", "/metrics"})
BOTH_PORTS = frozenset({"/healthz"})


class ManagementPort:
    """Splits one app over two ports by the port a request came in on: the management
    port answers only `/readyz`, `/metrics` (and `/healthz`), the service's port
    everything but `/readyz` and `/metrics`. The other port's paths are 404s, as if they
    did not exist there."""

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app = app
        self.port = port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            server = scope.get("server") or (None, None)
            on_management = server[1] == self.port
            path = scope.get("path", "")
            if path not in BOTH_PORTS and (path in MANAGEMENT_PATHS) != on_management:
                response = JSONResponse(
                    {"type": "about:blank", "title": "Not Found", "status": 404},
                    status_code=404,
                    media_type="application/problem+json",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _listening(host: str, port: int, *, shared: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:  # `ServiceSettings.http_reuse_port`
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class _GracefulServer(uvicorn.Server):
    """uvicorn, with the subscribers' drain begun at the stop signal (in parallel with
    HTTP's end), and exit status 0 after a stop that was asked for and carried out
    (uvicorn would raise the signal again, so the process would die of it)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
            return
        log.info("stop requested", extra={"signal": signal.Signals(sig).name})
        for host in list(_RUNNING):
            host.request_stop()
        self.should_exit = True

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the service's app in this process until SIGTERM or SIGINT, then stop
    gracefully (see the module's docstring) and return."""
    configure_logging(settings.service_name, settings.log_level)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(HTTP_GRACE_S),
        timeout_keep_alive=HTTP_KEEP_ALIVE_S,
    )
    server = _GracefulServer(config)
    if not settings.management_port and not settings.http_reuse_port:
        server.run()
    else:
        sockets = [
            _listening(settings.http_host, settings.http_port, shared=settings.http_reuse_port)
        ]
        if settings.management_port:
            sockets.append(_listening(settings.management_host, settings.management_port))
        server.run(sockets=sockets)
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the app could not start
    log.info("stopped")


def broker_of(app: FastAPI) -> KafkaBroker:
    """The FastStream broker of a service's app (built by `ServiceHost.build_app`), with
    its subscribers; nothing is started by building or reading it."""
    broker = app.state.broker
    if not isinstance(broker, KafkaBroker):
        raise TypeError(f"{app.title} carries no Kafka broker")
    return broker


@dataclass(frozen=True)
class ServiceEntry:
    """What a service's process serves: its settings type, its `bootstrap` (settings →
    the wired app) and its description. Each service's `__main__` names its own as
    `SERVICE`, so tools (`make asyncapi`) build the service exactly as its process does."""

    settings: type[ServiceSettings]
    bootstrap: Callable[[ServiceSettings], FastAPI]
    description: str

    def main(self, argv: Sequence[str] | None = None) -> None:
        service_main(self.settings, self.bootstrap, self.description, argv)


def service_main(
    settings_type: type[ServiceSettings],
    bootstrap: Callable[[ServiceSettings], FastAPI],
    description: str,
    argv: Sequence[str] | None = None,
) -> None:
    """The command line of a service process: `--help` names its settings."""
    import argparse

    prefix = settings_type.model_config.get("env_prefix", "")
    fields = "\n".join(
        f"  {str(f.validation_alias or prefix + name).upper():<36} default {f.default!r}"
        for name, f in settings_type.model_fields.items()
    )
    parser = argparse.ArgumentParser(
        description=description,
        epilog="Settings come from the environment:\n" + fields,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, help="HTTP port for /healthz, /readyz, /metrics")
    args = parser.parse_args(argv)
    settings = settings_type()
    if args.port is not None:
        settings = settings.model_copy(update={"http_port": args.port})
    connect_as(settings)  # this process's Kafka credentials
    telemetry.configure(settings)  # traces, when an OTLP endpoint is set
    serve(bootstrap(settings), settings)
