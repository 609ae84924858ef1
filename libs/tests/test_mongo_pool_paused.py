"""A checkout that failed only because the pool was paused says nothing new about the
server: it must not clear the pool again (CMAP), or every return of the database is
followed by seconds of "connection pool paused" (see `onewindow.runtime.mongo`). No
server needed: the handler is called as PyMongo calls it."""

from __future__ import annotations

import asyncio
from typing import cast

from pymongo.asynchronous import topology
from pymongo.errors import AutoReconnect, NetworkTimeout
from pymongo.topology_shared import _ErrorContext

from onewindow.runtime import mongo

ADDRESS = ("127.0.0.1", 27017)
# As PyMongo 4.20 words it (`pool_shared._raise_if_not_ready`).
PAUSED = AutoReconnect(
    "127.0.0.1:27017: connection pool paused (configured timeouts: socketTimeoutMS: 30000.0ms)"
)


def handled(errors: list[BaseException]) -> list[BaseException]:
    """Which of `errors` reach PyMongo's own handler through the project's."""
    seen: list[BaseException] = []

    async def handle(
        _topology: topology.Topology, _address: tuple[str, int | None], context: _ErrorContext
    ) -> None:
        seen.append(context.error)

    wrapped = mongo.ignoring_pool_paused(handle)
    for error in errors:
        context = _ErrorContext(error, 0, 3, True, None)  # handshake done, pool's generation
        asyncio.run(wrapped(cast(topology.Topology, None), ADDRESS, context))
    return seen


def test_a_paused_pool_is_not_cleared_again() -> None:
    assert handled([PAUSED]) == []


def test_the_server_going_away_still_clears_the_pool() -> None:
    closed = AutoReconnect("127.0.0.1:27017: connection closed")
    refused = AutoReconnect("127.0.0.1:27017: [Errno 111] Connect call failed")
    timeout = NetworkTimeout("127.0.0.1:27017: timed out")
    assert handled([closed, PAUSED, refused, timeout]) == [closed, refused, timeout]


def test_every_client_of_the_process_handles_errors_so() -> None:
    assert topology.Topology._handle_error.__qualname__ == (
        "ignoring_pool_paused.<locals>.handle_error"
    )
