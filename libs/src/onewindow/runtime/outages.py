"""Infrastructure trouble is not a decision: a database or broker that does not answer is
waited out, never counted against the message being handled.

`unavailable(error)` names the dependency an error shows to be away (`"database"` or
`"broker"`), or None for any other failure, which stays the message's own (a bug, a
refusal: tried a few times, then dead-lettered). `Outages` is a process's record of what
is away: one warning when a dependency stops answering, one line when it answers again,
Prometheus metrics meanwhile, and a jittered exponential pause between two tries.
`Outages.run_through` runs an operation until it finishes without a dependency away.

What counts as away, as this project's servers answer it (FerretDB 1.24 on PostgreSQL 15,
aiokafka 0.14 on Kafka 4.4; `libs/tests/test_outages.py` stops them to check):

- PyMongo's `ConnectionFailure` family: no server to select (FerretDB stopped), a socket
  dropped or timed out, no free connection in the pool; a command or write concern that
  timed out; a server error code PyMongo itself would retry (not primary, shutting down).
- FerretDB whose PostgreSQL does not answer: FerretDB is up but fails every command with
  `OperationFailure` code 1 (InternalError) carrying the PostgreSQL driver's error:
  `failed to connect to ... dial error ... connection refused` (or `no such file or
  directory` for a socket that is gone), `write: broken pipe` and `unexpected EOF` for
  pooled connections cut in the middle, `FATAL: terminating connection due to
  administrator command (SQLSTATE 57P01)` when the server shuts down.
- aiokafka errors the client marks retriable (no connection, no leader, not enough
  replicas, a request that timed out) and its own time-outs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from aiokafka import errors as kafka_errors
from prometheus_client import Counter, Gauge
from pymongo import errors as mongo_errors

log = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE = "database"
BROKER = "broker"

# The pause between two tries while a dependency is away grows from PAUSE_BASE_S to
# PAUSE_CAP_S; each pause is drawn from its upper half, so that the many records and
# processes waiting for the same server do not knock on it in lockstep when it is back.
PAUSE_BASE_S = 0.1
PAUSE_CAP_S = 4.0

# Codes of server errors that PyMongo's own retryable reads and writes retry (not primary,
# shutting down, host unreachable, ...), plus the command time-outs.
_MONGO_CODES = frozenset(
    {6, 7, 50, 89, 91, 134, 189, 262, 9001, 10058, 10107, 11600, 11602, 13435, 13436}
)
# What FerretDB passes on from its PostgreSQL driver (pgx) when the server is away:
# measured by stopping PostgreSQL under a FerretDB and by terminating its backends.
# SQLSTATE class 08 is "connection exception", 57P01-57P03 a server shutting down,
# crashed or starting, 53300 "too many connections".
_POSTGRES_AWAY = re.compile(
    r"failed to connect to|dial error|connection refused|broken pipe|unexpected EOF"
    r"|connection reset by peer|conn closed|i/o timeout"
    r"|SQLSTATE (08[0-9A-Z]{3}|57P0[123]|53300)",
    re.IGNORECASE,
)
# aiokafka errors a producer meets while the cluster is away that it does not mark retriable.
_KAFKA_AWAY: tuple[type[BaseException], ...] = (
    kafka_errors.KafkaTimeoutError,
    kafka_errors.KafkaUnavailableError,
    kafka_errors.BrokerNotAvailableError,
    kafka_errors.ReplicaNotAvailableError,
)

UNAVAILABLE = Gauge(
    "onewindow_dependency_unavailable",
    "1 while this process finds the dependency not answering, else 0.",
    ["dependency"],
)
UNAVAILABLE_SINCE = Gauge(
    "onewindow_dependency_unavailable_since_timestamp_seconds",
    "When the current outage of the dependency began (Unix time), 0 when it answers.",
    ["dependency"],
)
OUTAGES_TOTAL = Counter(
    "onewindow_dependency_outages",
    "Outages of the dependency this process waited out.",
    ["dependency"],
)
WAITED_TRIES = Counter(
    "onewindow_dependency_unavailable_tries",
    "Tries that failed because the dependency did not answer (not counted as attempts).",
    ["dependency"],
)
OUTAGE_SECONDS = Counter(
    "onewindow_dependency_unavailable_seconds",
    "Seconds of outages of the dependency that ended.",
    ["dependency"],
)


def unavailable(error: BaseException) -> str | None:
    """The dependency (`DATABASE`, `BROKER`) that `error` shows not to answer, else None.

    The error's causes and context are looked at too, and every member of an exception
    group: work that failed while a server was away is tried again once it is back, and
    only a failure that happens while everything answers is the message's own.
    """
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if (dependency := _unavailable_itself(current)) is not None:
            return dependency
        if isinstance(current, BaseExceptionGroup):
            pending += current.exceptions
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return None


def _unavailable_itself(error: BaseException) -> str | None:
    if isinstance(error, mongo_errors.ConnectionFailure | mongo_errors.WTimeoutError):
        return DATABASE
    if isinstance(error, mongo_errors.OperationFailure):
        if error.code in _MONGO_CODES or error.has_error_label("RetryableWriteError"):
            return DATABASE
        if _POSTGRES_AWAY.search(str(error)):
            return DATABASE
        return None
    if isinstance(error, kafka_errors.KafkaError) and (
        error.retriable or isinstance(error, _KAFKA_AWAY)
    ):
        return BROKER
    return None


def pause_before(tries: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `tries`-th failed try (1, 2, ...): exponential, capped at
    `PAUSE_CAP_S`, drawn from the upper half of that so that waiters spread out."""
    ceiling = min(PAUSE_CAP_S, PAUSE_BASE_S * 2 ** min(max(tries - 1, 0), 16))
    return (rng or random).uniform(ceiling / 2, ceiling)


@dataclass
class _Outage:
    began: float  # monotonic
    began_at: datetime
    error: str
    tries: int = 0


class Outages:
    """What one process finds not answering, and for how long.

    One warning is logged when a dependency is first found away (with the error), one
    line when it answers again (with how long it was out and how many tries it cost);
    the metrics `onewindow_dependency_*` show the outage meanwhile.
    """

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self._monotonic = monotonic
        self._now = now
        self._rng = rng
        self._current: dict[str, _Outage] = {}
        self._answered: dict[str, float] = {}

    def out_for(self, dependency: str) -> float | None:
        """Seconds `dependency` has not been answering, None while it answers."""
        outage = self._current.get(dependency)
        return None if outage is None else self._monotonic() - outage.began

    def failed(self, dependency: str, error: BaseException, *, tried_at: float) -> None:
        """A try begun at `tried_at` (monotonic) failed because `dependency` is away.

        A try begun before the dependency last answered is old news: it does not open a
        new outage (the requests that were under way while a server came back fail too).
        """
        WAITED_TRIES.labels(dependency).inc()
        outage = self._current.get(dependency)
        if outage is None:
            if tried_at < self._answered.get(dependency, -math.inf):
                return
            outage = _Outage(self._monotonic(), self._now(), _describe(error))
            self._current[dependency] = outage
            OUTAGES_TOTAL.labels(dependency).inc()
            UNAVAILABLE.labels(dependency).set(1)
            UNAVAILABLE_SINCE.labels(dependency).set(outage.began_at.timestamp())
            log.warning(
                "%s unavailable; work waits until it answers",
                dependency,
                extra={
                    "dependency": dependency,
                    "error": outage.error,
                    "error_type": _type_name(error),
                    "unavailable_since": outage.began_at.isoformat(timespec="milliseconds"),
                },
            )
        outage.tries += 1
        outage.error = _describe(error)

    def answered(self, dependency: str) -> None:
        """`dependency` did what was asked: an outage of it, if any, is over."""
        self._answered[dependency] = self._monotonic()
        outage = self._current.pop(dependency, None)
        if outage is None:
            return
        out_for = self._monotonic() - outage.began
        UNAVAILABLE.labels(dependency).set(0)
        UNAVAILABLE_SINCE.labels(dependency).set(0)
        OUTAGE_SECONDS.labels(dependency).inc(out_for)
        log.info(
            "%s answers again after %.1f s",
            dependency,
            out_for,
            extra={
                "dependency": dependency,
                "unavailable_for_s": round(out_for, 3),
                "unavailable_since": outage.began_at.isoformat(timespec="milliseconds"),
                "tries": outage.tries,
                "last_error": outage.error,
            },
        )

    def pause(self, tries: int) -> float:
        """Seconds to wait after the `tries`-th try lost to an outage (see `pause_before`)."""
        return pause_before(tries, self._rng)

    async def run_through(self, operation: Callable[[], Awaitable[T]]) -> T:
        """`operation()`'s result, tried again (after a pause) for as long as it fails
        because a dependency is away; any other error is raised at once."""
        lost: dict[str, int] = {}
        while True:
            tried_at = self._monotonic()
            try:
                result = await operation()
            except Exception as exc:
                dependency = unavailable(exc)
                if dependency is None:
                    raise
                lost[dependency] = lost.get(dependency, 0) + 1
                self.failed(dependency, exc, tried_at=tried_at)
                log.debug(
                    "%s unavailable; trying again",
                    dependency,
                    extra={"dependency": dependency, "error": _describe(exc)},
                )
                await asyncio.sleep(self.pause(sum(lost.values())))
                continue
            for dependency in lost:
                self.answered(dependency)
            return result


def _type_name(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}"


def _describe(error: BaseException, limit: int = 500) -> str:
    # PyMongo appends the server's whole reply ("full error: {...}"), which repeats it.
    text = str(error).split(", full error:", 1)[0] or repr(error)
    return " ".join(text.split())[:limit]


# This process's record; the subscribers and the outbox relay share it.
OUTAGES = Outages()


def tick_failed(error: BaseException, what: str, *, tried_at: float) -> None:
    """A periodic job's tick (`what`) failed. A dependency that is away is reported once
    per outage (`OUTAGES`: one warning, the metrics); any other failure is logged with its
    traceback. Either way the job tries again at its next tick."""
    dependency = unavailable(error)
    if dependency is None:
        log.error("%s failed; retrying at the next tick", what, exc_info=error)
    else:
        OUTAGES.failed(dependency, error, tried_at=tried_at)
