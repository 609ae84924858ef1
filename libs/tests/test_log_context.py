"""Log lines written while a message is handled carry its ids."""

from __future__ import annotations

import json
import logging

from onewindow.runtime.logs import JsonFormatter, message_context


def line(formatter: JsonFormatter) -> dict[str, object]:
    record = logging.makeLogRecord({"msg": "permit reserved", "levelname": "INFO"})
    parsed: dict[str, object] = json.loads(formatter.format(record))
    return parsed


def test_lines_inside_a_message_context_carry_its_ids_and_lines_after_do_not() -> None:
    formatter = JsonFormatter("work-permit")

    with message_context(correlation="app-1", causation="cmd-7", message="evt-9"):
        inside = line(formatter)
    after = line(formatter)

    assert (inside["correlation_id"], inside["causation_id"], inside["message_id"]) == (
        "app-1",
        "cmd-7",
        "evt-9",
    )
    assert {"correlation_id", "causation_id", "message_id"}.isdisjoint(after)


def test_nested_contexts_restore_the_outer_ids() -> None:
    formatter = JsonFormatter("applications")

    with message_context(correlation="app-1", causation=None, message="m-1"):
        with message_context(correlation="app-2", causation="m-1", message="m-2"):
            pass
        outer = line(formatter)

    assert outer["correlation_id"] == "app-1"
    assert outer["message_id"] == "m-1"
    assert "causation_id" not in outer
