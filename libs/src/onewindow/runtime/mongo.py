"""Database access through PyMongo's asynchronous API."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from prometheus_client import Counter
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous import topology
from pymongo.errors import AutoReconnect
from pymongo.topology_shared import _ErrorContext

DUPLICATE_KEY = 11000
# Commands one process has under way at once (see `make_client`).
MAX_IN_FLIGHT = 8


# Every database command this process sends, by command name (on each service's /metrics):
# what an operator (or a test) reads to see whether a load reaches the database.
DB_COMMANDS = Counter(
    "onewindow_db_commands_total", "Database commands sent by this process", ["command"]
)


class _CountCommands(monitoring.CommandListener):
    def started(self, event: monitoring.CommandStartedEvent) -> None:
        DB_COMMANDS.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


ErrorHandler = Callable[
    [topology.Topology, tuple[str, int | None], _ErrorContext], Coroutine[Any, Any, None]
]
POOL_PAUSED = "connection pool paused"


def ignoring_pool_paused(handle: ErrorHandler) -> ErrorHandler:
    """PyMongo's handler of an operation's error (`Topology._handle_error`), except for
    the error of a checkout that failed only because the pool was paused.

    CMAP says such an error "MUST NOT be an error that marks the SDAM state unknown".
    PyMongo 4.20.1 marks the server unknown and clears the pool on it when it handles it
    right after the monitor made the pool ready again (same generation, pool ready): each
    time the monitor finds the server back, an operation that failed on the paused pool
    pauses it once more. Measured with 16 concurrent operations (8 connections, as here)
    on FerretDB and PostgreSQL SIGKILLed and restarted: the pool went ready -> cleared
    every 0.5 s for 2-4 s after the server answered again (in the chaos runs the gateway
    answered 500 for 10 s); without it, operations succeed from the monitor's first
    successful check on. The operation that met the paused pool still fails
    (AutoReconnect) and is retried by its caller as before.
    """

    async def handle_error(
        self: topology.Topology, address: tuple[str, int | None], context: _ErrorContext
    ) -> None:
        if isinstance(context.error, AutoReconnect) and POOL_PAUSED in str(context.error):
            return
        await handle(self, address, context)

    return handle_error


# Every client of this process, from the import on. mypy: a method replaced on its class
# (whose type mypy reads with a doubled `self`).
topology.Topology._handle_error = ignoring_pool_paused(  # type: ignore[method-assign,assignment]
    topology.Topology._handle_error
)


def make_client(url: str) -> AsyncMongoClient[dict[str, Any]]:
    """An `AsyncMongoClient` that fails fast when the server is away, fails a call the
    server stops answering after 30 s instead of waiting forever (the caller retries),
    and has at most `MAX_IN_FLIGHT` commands under way at once.

    The bound matters on FerretDB 1.24 over PostgreSQL: an `update`, `delete` or
    `findAndModify` holds one pooled PostgreSQL connection for its query while it waits
    for a second one for its transaction, so as many concurrent updates as the pool has
    connections deadlock the server (seen here: 60 updates, pool of 60, every service
    stalled). The local stack's pool (100) is larger than every process's bound added up.
    """
    return AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        socketTimeoutMS=30_000,
        maxPoolSize=MAX_IN_FLIGHT,
        tz_aware=True,
        event_listeners=[_CountCommands()],
    )
