"""Numbers that are unique and never reused, on MongoDB and on FerretDB alike.

A counter document per series (`WP-2026`) proposes the next sequence with `$inc`; the
number is then *claimed* by inserting a document whose `_id` is the number itself. The
unique `_id` is the guarantee: FerretDB 1.24 does not apply `findAndModify`'s `$inc`
atomically under concurrent writers (several callers can read the same value), so a
proposal that is already claimed is simply skipped and the next one tried. A claimed
number is never released: a decision that lost a race burns its number, never reuses it.

The claim also records who the number was allocated to, so the owner of a number is
found with one `_id` look-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

# Enough for any realistic contention; beyond it something is wrong (a counter reset
# behind a long run of claims) and the caller should fail loudly and be retried.
MAX_PROPOSALS = 10_000


class NumbersExhausted(RuntimeError):
    """No free number was found after `MAX_PROPOSALS` proposals."""


class UniqueNumbers:
    """Allocates numbers in the collections `<name>_series` and `<name>s`."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], name: str) -> None:
        self._series = db[f"{name}_series"]
        self._claims = db[f"{name}s"]
        # One allocation at a time per process keeps FerretDB's non-atomic $inc from
        # handing the same proposal to our own concurrent callers; other processes are
        # kept apart by the unique claim.
        self._lock = asyncio.Lock()

    async def claim_next(
        self, series: str, render: Callable[[int], str], owner: str, now: datetime
    ) -> str:
        """The next number of `series` (`render(sequence)`) no one has had, claimed for
        `owner`."""
        async with self._lock:
            for _ in range(MAX_PROPOSALS):
                try:
                    counter = await self._series.find_one_and_update(
                        {"_id": series},
                        {"$inc": {"last": 1}},
                        upsert=True,
                        return_document=ReturnDocument.AFTER,
                    )
                except DuplicateKeyError:
                    continue  # two first-ever upserts of the series raced; ask again
                if counter is None:  # cannot happen with upsert and AFTER; ask again
                    continue
                number = render(int(counter["last"]))
                try:
                    await self._claims.insert_one(
                        {"_id": number, "application_id": owner, "claimed_at": now}
                    )
                except DuplicateKeyError:
                    continue
                return number
        raise NumbersExhausted(series)

    async def owner_of(self, number: str) -> str | None:
        """Who a number was allocated to, or None for a number never allocated."""
        claim = await self._claims.find_one({"_id": number})
        return str(claim["application_id"]) if claim else None
