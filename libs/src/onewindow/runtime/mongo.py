"""Database access through PyMongo's asynchronous API."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar

from prometheus_client import Counter
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous import topology
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect, BulkWriteError, WriteError
from pymongo.topology_shared import _ErrorContext

DUPLICATE_KEY = 11000
# Commands one process has under way at once (see `make_client`).
MAX_IN_FLIGHT = 8
# Items one group write carries at most (FerretDB and MongoDB take far more; this bounds
# the latency one write adds to the callers queued behind it).
GROUP_LIMIT = 500

T = TypeVar("T")
R = TypeVar("R")


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


class Grouped(Generic[T, R]):
    """Group commit: one database command for whatever callers queued meanwhile.

    `await grouped(item)` queues `item` and waits for its own result. While one call of
    `write` is under way, everything queued meanwhile waits for the next, which takes it
    all (up to `GROUP_LIMIT`): alone, a caller pays one command as before; under load, one
    command carries many. `write` returns one result per item, in order; if it raises,
    every item of that call gets the error.
    """

    def __init__(self, write: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self._write = write
        self._queue: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._writing: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            taken = [self._queue.popleft() for _ in range(min(GROUP_LIMIT, len(self._queue)))]
            try:
                results = await self._write([item for item, _ in taken])
            except BaseException as exc:
                for _, future in taken:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(taken, results, strict=True):
                if not future.done():
                    future.set_result(result)


class UniqueInserts:
    """Inserts under unique `_id`s, grouped (`Grouped`: one unordered `insert_many` for
    the callers queued meanwhile, so one duplicate key fails only its own document).

    `await inserts(doc)` is True if the document was written and False if its `_id` was
    taken; any other refusal raises `WriteError` with the server's code.
    """

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection
        self._grouped: Grouped[dict[str, Any], int | None] = Grouped(self._insert_many)

    async def __call__(self, doc: dict[str, Any]) -> bool:
        code = await self._grouped(doc)
        if code is None:
            return True
        if code == DUPLICATE_KEY:
            return False
        raise WriteError(f"{doc['_id']!r} refused by the database ({code})", code)

    async def _insert_many(self, docs: list[dict[str, Any]]) -> list[int | None]:
        codes: list[int | None] = [None] * len(docs)
        try:
            await self._collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                codes[int(error["index"])] = int(error.get("code", -1))
        return codes
