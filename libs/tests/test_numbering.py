"""Unique numbers on the real database: one counter update serves a block, and no number
is ever handed out twice, across processes and restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.runtime.numbering import BLOCK, UniqueNumbers

pytestmark = pytest.mark.integration
NOW = datetime(2027, 1, 4, tzinfo=UTC)


@pytest.fixture
def db(scratch_db: AsyncDatabase[dict[str, Any]]) -> AsyncDatabase[dict[str, Any]]:
    return scratch_db


class _CountedSeries:
    """The real counter collection, counting the updates that reach it."""

    def __init__(self, series: Any) -> None:
        self._series, self.updates = series, 0

    async def find_one_and_update(self, *args: Any, **kwargs: Any) -> Any:
        self.updates += 1
        return await self._series.find_one_and_update(*args, **kwargs)


def counted(numbers: UniqueNumbers) -> _CountedSeries:
    series = _CountedSeries(numbers._series)
    # A counting proxy in front of the real collection (typed as the collection).
    numbers._series = series  # type: ignore[assignment]
    return series


async def claim(numbers: UniqueNumbers, owner: str) -> str:
    return await numbers.claim_next("WP-2027", lambda n: f"WP-2027-{n:06d}", owner, NOW)


async def test_one_counter_update_serves_a_block_and_two_processes_share_no_number(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    first, second = UniqueNumbers(db, "permit_number"), UniqueNumbers(db, "permit_number")
    series = [counted(first), counted(second)]
    numbers = await asyncio.gather(
        *(claim(first if i % 2 else second, f"app-{i}") for i in range(4 * BLOCK))
    )
    assert len(set(numbers)) == 4 * BLOCK
    # 2 blocks each would do; each block both were handed (FerretDB's $inc is not atomic,
    # so any of the 4 may be) costs one more. One update per number would be 64.
    assert sum(s.updates for s in series) <= 8
    assert await first.owner_of(numbers[5]) == "app-5"


async def test_a_restarted_process_never_hands_out_a_number_again(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    before = [await claim(UniqueNumbers(db, "permit_number"), "app-1")]
    restarted = UniqueNumbers(db, "permit_number")
    after = [await claim(restarted, f"app-{i}") for i in range(3)]
    assert not set(before) & set(after)
    assert sorted(after) == after  # increasing within a block
