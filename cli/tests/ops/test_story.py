"""How `ops case` assembles a story: the causation tree, permits, deadline (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import typer

from onewindow.cli.ops.common import parse_duration
from onewindow.cli.ops.story import causation_tree, latest_deadline, permit_steps
from onewindow.ops.decoding import Decoded

START = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def message(
    n: int, name: str, cause: str | None, *, topic: str = "x.events", data: Any = None, **extra: Any
) -> Decoded:
    return Decoded(
        topic=topic,
        partition=0,
        offset=n,
        timestamp=START + timedelta(seconds=n),
        key="case-1",
        headers=extra.get("headers", {}),
        ce_type=f"onewindow.applications.{name}.v1",
        id=extra.get("id", name),
        correlation_id="case-1",
        causation_id=cause,
        data=data or {},
        topic_name=topic,
    )


def test_each_message_hangs_under_its_cause_and_copies_are_one_node() -> None:
    submit = message(0, "SubmitApplication", None, topic="applications.commands")
    dead = message(
        1,
        "SubmitApplication",
        None,
        topic="applications.commands.dlq",
        headers={"x-dlq-error": "bad salary", "x-dlq-group": "applications"},
    )
    replayed = message(2, "SubmitApplication", None, topic="applications.commands")
    verify = message(3, "VerifyIdentity", "SubmitApplication")
    received = message(4, "ApplicationReceived", "SubmitApplication")
    verified = message(5, "IdentityVerified", "VerifyIdentity")

    [root] = causation_tree([verified, received, verify, replayed, dead, submit])

    assert root.message is submit
    assert root.deliveries == 2
    assert [d.headers["x-dlq-error"] for d in root.dead_letters] == ["bad salary"]
    assert [c.message.id for c in root.children] == ["VerifyIdentity", "ApplicationReceived"]
    assert [c.message.id for c in root.children[0].children] == ["IdentityVerified"]
    assert root.as_json()["children"][0]["children"][0]["type"].endswith("IdentityVerified.v1")


def test_a_message_whose_cause_is_not_on_the_bus_is_a_root() -> None:
    orphan = message(0, "DeadlineEscalated", "timer-tick")

    assert [r.message.id for r in causation_tree([orphan])] == ["DeadlineEscalated"]


def test_permits_and_deadline_are_read_from_the_events() -> None:
    reserved = message(
        0, "WorkPermitReserved", None, data={"permit_number": "WP-1", "valid_until": "2029-01-03"}
    )
    reserved = Decoded(
        **{**reserved.__dict__, "ce_type": "onewindow.work-permit.WorkPermitReserved.v1"}
    )
    changed = message(
        1,
        "ApplicationStatusChanged",
        None,
        data={"deadline": {"due_on": "2026-06-10", "clock": "stopped"}},
    )

    [step] = permit_steps([reserved, changed])

    assert (step.side, step.what, step.number, step.valid_until) == (
        "work",
        "reserved",
        "WP-1",
        "2029-01-03",
    )
    assert latest_deadline([reserved, changed]) == {"due_on": "2026-06-10", "clock": "stopped"}


@pytest.mark.parametrize(
    ("text", "seconds"), [("0", 0), ("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400)]
)
def test_durations_read_as_operators_write_them(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_a_duration_in_words_is_refused() -> None:
    with pytest.raises(typer.BadParameter):
        parse_duration("ten minutes")
