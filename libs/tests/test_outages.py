"""Telling an outage from a poison message, and waiting an outage out. No servers needed:
the errors are the ones the real servers answered (see `test_subscriber_outage.py`)."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime

import pytest
from aiokafka import errors as kafka_errors
from prometheus_client import REGISTRY
from pydantic import BaseModel, ValidationError
from pymongo import errors as mongo_errors

from onewindow.runtime.eventstore import ConcurrencyConflict
from onewindow.runtime.outages import (
    BROKER,
    DATABASE,
    PAUSE_CAP_S,
    Outages,
    pause_before,
    unavailable,
)
from onewindow.runtime.outbox import RelayFailed

# What FerretDB 1.24 answered (code 1, InternalError) while its PostgreSQL was away:
# socket gone, server refusing, pooled connections cut, backends terminated.
FERRETDB_WITHOUT_POSTGRES = [
    "[msg_ping.go:55 handler.(*Handler).MsgPing] [backend.go:109 postgresql.(*backend).Status]"
    " failed to connect to `user=onewindow database=pgexp`: /tmp/run/.s.PGSQL.5432 (/tmp/run):"
    " dial error: dial unix /tmp/run/.s.PGSQL.5432: connect: no such file or directory",
    "[msg_insert.go:168 handler.(*Handler).MsgInsert] failed to connect to `user=onewindow"
    " database=pgexp`: /tmp/run/.s.PGSQL.5432 (/tmp/run): dial error: dial unix"
    " /tmp/run/.s.PGSQL.5432: connect: connection refused",
    "[msg_insert.go:168 handler.(*Handler).MsgInsert] write failed: write unix"
    " @->/tmp/run/.s.PGSQL.5432: write: broken pipe",
    "[msg_update.go:117 handler.(*Handler).updateDocument] unexpected EOF",
    "[values.go:74 iterator.ConsumeValuesN[...]] FATAL: terminating connection due to"
    " administrator command (SQLSTATE 57P01)",
]


class Form(BaseModel):
    age: int


def _validation_error() -> ValidationError:
    try:
        Form.model_validate({"age": "old"})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


def _relay_failed() -> RelayFailed:
    try:
        try:
            raise kafka_errors.KafkaTimeoutError()
        except kafka_errors.KafkaTimeoutError as exc:
            raise RelayFailed("1 stream(s) not published") from exc
    except RelayFailed as failed:
        return failed


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (mongo_errors.ServerSelectionTimeoutError("127.0.0.1:27099: connection refused"), DATABASE),
        (mongo_errors.AutoReconnect("connection closed"), DATABASE),
        (mongo_errors.NetworkTimeout("timed out"), DATABASE),
        (mongo_errors.WaitQueueTimeoutError("pool exhausted"), DATABASE),
        (mongo_errors.ExecutionTimeout("operation exceeded time limit", 50), DATABASE),
        (mongo_errors.OperationFailure("interrupted at shutdown", 11600), DATABASE),
        *((mongo_errors.OperationFailure(text, 1), DATABASE) for text in FERRETDB_WITHOUT_POSTGRES),
        (kafka_errors.KafkaConnectionError("no connection to node 1"), BROKER),
        (kafka_errors.NodeNotReadyError(), BROKER),
        (kafka_errors.KafkaTimeoutError(), BROKER),
        (kafka_errors.RequestTimedOutError(), BROKER),
        (kafka_errors.NotEnoughReplicasError(), BROKER),
        (kafka_errors.LeaderNotAvailableError(), BROKER),
        (_relay_failed(), BROKER),
        (ExceptionGroup("two keys", [ValueError("bug"), mongo_errors.AutoReconnect()]), DATABASE),
        # The message's own failures: tried a few times, then dead-lettered.
        (ValueError("no such permit"), None),
        (mongo_errors.WriteError("'case-1#2' refused by the database (2)", 2), None),
        (_validation_error(), None),
        (ConcurrencyConflict("case-1", 3), None),
        (mongo_errors.DuplicateKeyError("E11000 duplicate key error", 11000), None),
        (mongo_errors.OperationFailure("Invalid namespace specified 'a.$b'", 73), None),
        (mongo_errors.OperationFailure("[msg_aggregate.go:12] unknown operator $fancy", 1), None),
        (mongo_errors.BulkWriteError({"writeErrors": [{"index": 0, "code": 2}]}), None),
        (kafka_errors.MessageSizeTooLargeError(), None),
        (ExceptionGroup("two keys", [ValueError("bug"), KeyError("x")]), None),
    ],
    ids=repr,
)
def test_an_error_names_the_dependency_that_did_not_answer_or_none(
    error: BaseException, dependency: str | None
) -> None:
    assert unavailable(error) == dependency


class Ticking:
    """A monotonic clock that a test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def sample(name: str, dependency: str) -> float:
    return REGISTRY.get_sample_value(name, {"dependency": dependency}) or 0.0


def test_an_outage_is_logged_once_when_it_begins_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Ticking()
    outages = Outages(monotonic=clock, now=lambda: datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    began = sample("onewindow_dependency_outages_total", DATABASE)
    caplog.set_level(logging.INFO, logger="onewindow.runtime.outages")

    for _ in range(30):  # thirty tries lost, across many records
        outages.failed(DATABASE, mongo_errors.AutoReconnect("gone"), tried_at=clock.now)
        clock.now += 2
    assert outages.out_for(DATABASE) == 60
    assert sample("onewindow_dependency_unavailable", DATABASE) == 1
    outages.answered(DATABASE)

    lines = [r for r in caplog.records if r.name == "onewindow.runtime.outages"]
    assert [(r.levelname, r.getMessage()) for r in lines] == [
        ("WARNING", "database unavailable; work waits until it answers"),
        ("INFO", "database answers again after 60.0 s"),
    ]
    assert vars(lines[0])["error"] == "gone"
    assert vars(lines[0])["unavailable_since"] == "2026-03-02T08:00:00.000+00:00"
    assert vars(lines[1])["unavailable_for_s"] == 60
    assert vars(lines[1])["tries"] == 30
    assert outages.out_for(DATABASE) is None
    assert sample("onewindow_dependency_unavailable", DATABASE) == 0
    assert sample("onewindow_dependency_outages_total", DATABASE) == began + 1


def test_a_try_begun_before_the_dependency_answered_again_opens_no_new_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Ticking()
    outages = Outages(monotonic=clock)
    outages.failed(BROKER, kafka_errors.KafkaConnectionError(), tried_at=clock.now)
    clock.now += 1
    under_way = clock.now
    clock.now += 1
    outages.answered(BROKER)
    caplog.clear()

    outages.failed(BROKER, kafka_errors.KafkaConnectionError(), tried_at=under_way)

    assert outages.out_for(BROKER) is None
    assert not caplog.records
    outages.failed(BROKER, kafka_errors.KafkaConnectionError(), tried_at=clock.now)
    assert outages.out_for(BROKER) == 0  # a try begun afterwards: a new outage


async def test_run_through_waits_out_an_outage_and_raises_any_other_error_at_once() -> None:
    outages = Outages(rng=random.Random(7))
    outages.pause = lambda tries: 0.0  # type: ignore[method-assign]
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 12:
            raise mongo_errors.ServerSelectionTimeoutError("no server")
        return "done"

    assert await outages.run_through(flaky) == "done"
    assert calls == 12
    assert outages.out_for(DATABASE) is None  # answered

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug")

    calls = 0
    with pytest.raises(ValueError, match="a bug"):
        await outages.run_through(broken)
    assert calls == 1


@pytest.mark.parametrize("tries", [1, 2, 5, 10, 100])
def test_the_pause_grows_to_a_cap_of_a_few_seconds_with_jitter(tries: int) -> None:
    pauses = [pause_before(tries, random.Random(seed)) for seed in range(50)]
    ceiling = min(PAUSE_CAP_S, 0.1 * 2 ** (tries - 1))
    assert all(ceiling / 2 <= p <= ceiling for p in pauses)
    assert len(set(pauses)) > 1  # jittered


def test_a_periodic_job_reports_an_outage_once_and_anything_else_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import time

    from onewindow.runtime.outages import OUTAGES, tick_failed

    away = mongo_errors.AutoReconnect("connection refused")
    with caplog.at_level(logging.INFO, logger="onewindow.runtime.outages"):
        for _ in range(5):  # five ticks of a timer during one outage
            tick_failed(away, "the timer sweep", tried_at=time.monotonic())
        tick_failed(ValueError("a bug"), "the timer sweep", tried_at=time.monotonic())
        OUTAGES.answered("database")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(warnings) == 1
    assert "database unavailable" in warnings[0].getMessage()
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "the timer sweep failed" in errors[0].getMessage()
