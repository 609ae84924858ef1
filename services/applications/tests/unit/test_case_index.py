"""What the saga's case index writes: what a timer or a filter would notice, no more."""

from __future__ import annotations

from datetime import date

from onewindow.applications.adapters.case_index import MemoryCaseIndex
from onewindow.applications.domain.case import Case
from onewindow.runtime.clock import ManualClock

from .stories import CALENDAR, NOW, assessing

VALID = date(2029, 3, 31)


class CountingIndex(MemoryCaseIndex):
    def __init__(self) -> None:
        super().__init__(clock=ManualClock(NOW), calendar=CALENDAR)
        self.writes = 0

    async def _write_case(self, case: Case, version: int, fields: dict[str, object]) -> None:
        self.writes += 1
        await super()._write_case(case, version, fields)


async def test_one_side_moving_in_an_open_case_writes_nothing_until_the_case_moves() -> None:
    index, case = CountingIndex(), assessing()
    await index.index_case(case, 2)
    case.side_reserved("work", "WP-1", VALID, classification=None, at=NOW)
    await index.index_case(case, 3)
    assert index.writes == 1
    assert index.cases[case.application_id]["work"] == "pending"  # one step behind
    case.side_reserved("residence", "RP-1", None, classification=None, at=NOW)
    await index.index_case(case, 4)  # now issuing: the timer moves
    assert index.writes == 2
    entry = index.cases[case.application_id]
    assert (entry["status"], entry["work"], entry["residence"]) == (
        "issuing",
        "reserved",
        "reserved",
    )


async def test_a_decided_cases_side_is_always_written() -> None:
    index, case = CountingIndex(), assessing()
    case.side_reserved("work", "WP-1", VALID, classification=None, at=NOW)
    case.side_reserved("residence", "RP-1", None, classification=None, at=NOW)
    case.side_issued("work", "WP-1", VALID, at=NOW)
    case.side_issued("residence", "RP-1", VALID, at=NOW)
    await index.index_case(case, 8)
    assert index.cases[case.application_id]["status"] == "approved"
    case.side_revoked("residence", "RP-1", "permit_revoked", at=NOW)  # after the decision
    await index.index_case(case, 9)
    assert index.writes == 2
    assert index.cases[case.application_id]["residence"] == "revoked"
