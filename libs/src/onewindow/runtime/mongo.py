"""Database access through PyMongo's asynchronous API."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter
from pymongo import AsyncMongoClient, monitoring

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
