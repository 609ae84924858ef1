"""Numbers that are unique and never reused, on MongoDB and on FerretDB alike.

A counter document per series (`WP-2026`) hands out a *block* of `BLOCK` sequences with
one `$inc`; the process takes its numbers from the block, and each number is then
*claimed* by inserting a document whose `_id` is the number itself. The unique `_id` is
the guarantee: FerretDB 1.24 does not apply `findAndModify`'s `$inc` atomically under
concurrent writers (two processes can be handed the same block), so a number already
claimed is simply skipped and the next one tried. A claimed number is never released: a
decision that lost a race burns its number, never reuses it; so does a process that
stops with numbers of its block left (at most `BLOCK - 1`: numbers have gaps, never
repeats).

One allocation then costs one insert, and the claims of concurrent allocations go to
the database together (`runtime.mongo.UniqueInserts`).

The claim also records who the number was allocated to, so the owner of a number is
found with one `_id` look-up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from onewindow.runtime.mongo import UniqueInserts

# Enough for any realistic contention; beyond it something is wrong (a counter reset
# behind a long run of claims) and the caller should fail loudly and be retried.
MAX_PROPOSALS = 10_000
# Sequences one `$inc` hands this process.
BLOCK = 16


class NumbersExhausted(RuntimeError):
    """No free number was found after `MAX_PROPOSALS` proposals."""


class UniqueNumbers:
    """Allocates numbers in the collections `<name>_series` and `<name>s`."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], name: str, *, block: int = BLOCK) -> None:
        self._series = db[f"{name}_series"]
        self._claims = db[f"{name}s"]
        self._block = block
        # Per series, the sequences of this process's block not yet proposed.
        self._pool: dict[str, deque[int]] = {}
        # One block fetch at a time per process, so our own callers never share a block.
        self._lock = asyncio.Lock()
        self._claim = UniqueInserts(self._claims)

    async def claim_next(
        self, series: str, render: Callable[[int], str], owner: str, now: datetime
    ) -> str:
        """The next number of `series` (`render(sequence)`) no one has had, claimed for
        `owner`."""
        for _ in range(MAX_PROPOSALS):
            number = render(await self._propose(series))
            if await self._claim({"_id": number, "application_id": owner, "claimed_at": now}):
                return number
        raise NumbersExhausted(series)

    async def _propose(self, series: str) -> int:
        async with self._lock:
            pool = self._pool.setdefault(series, deque())
            for _ in range(MAX_PROPOSALS):
                if pool:
                    return pool.popleft()
                try:
                    counter = await self._series.find_one_and_update(
                        {"_id": series},
                        {"$inc": {"last": self._block}},
                        upsert=True,
                        return_document=ReturnDocument.AFTER,
                    )
                except DuplicateKeyError:
                    continue  # two first-ever upserts of the series raced; ask again
                if counter is None:  # cannot happen with upsert and AFTER; ask again
                    continue
                last = int(counter["last"])
                pool.extend(range(last - self._block + 1, last + 1))
        raise NumbersExhausted(series)

    async def owner_of(self, number: str) -> str | None:
        """Who a number was allocated to, or None for a number never allocated."""
        claim = await self._claims.find_one({"_id": number})
        return str(claim["application_id"]) if claim else None
