"""Permit numbers in MongoDB: unique and never reused, on MongoDB and on FerretDB alike.

A counter document per series (`RP-2026`) proposes the next sequence with `$inc`; the
number is then *claimed* by inserting a document whose `_id` is the number itself. The
unique `_id` is the guarantee: FerretDB 1.24 does not apply `findAndModify`'s `$inc`
atomically under concurrent writers (several callers can read the same value), so a
proposal that is already claimed is simply skipped and the next one tried. A claimed
number is never released: a decision that lost a race burns its number, never reuses it.

The claim also records which application the number was allocated to, so an extension
can find the permit by its number with one `_id` look-up (the work permit needs that;
here it serves operators).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from onewindow.residence_permit.domain.numbers import permit_number, series
from onewindow.residence_permit.domain.policy import NumberFormat

# Enough for any realistic contention; beyond it something is wrong (a counter reset
# behind a long run of claims) and the caller should fail loudly and be retried.
MAX_PROPOSALS = 10_000


class NumbersExhausted(RuntimeError):
    """No free number was found after `MAX_PROPOSALS` proposals."""


class MongoPermitNumbers:
    """Allocates permit numbers in the collections `permit_number_series` and `permit_numbers`."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._series = db["permit_number_series"]
        self._claims = db["permit_numbers"]
        # One allocation at a time per process keeps FerretDB's non-atomic $inc from
        # handing the same proposal to our own concurrent callers; other processes are
        # kept apart by the unique claim.
        self._lock = asyncio.Lock()

    async def allocate(
        self, fmt: NumberFormat, year: int, application_id: str, now: datetime
    ) -> str:
        """A number of `fmt`'s series for `year` that no one has had before, claimed for
        `application_id`."""
        name = series(fmt, year)
        async with self._lock:
            for _ in range(MAX_PROPOSALS):
                try:
                    counter = await self._series.find_one_and_update(
                        {"_id": name},
                        {"$inc": {"last": 1}},
                        upsert=True,
                        return_document=ReturnDocument.AFTER,
                    )
                except DuplicateKeyError:
                    continue  # two first-ever upserts of the series raced; ask again
                if counter is None:  # cannot happen with upsert and AFTER; ask again
                    continue
                number = permit_number(fmt, year, int(counter["last"]))
                try:
                    await self._claims.insert_one(
                        {"_id": number, "application_id": application_id, "claimed_at": now}
                    )
                except DuplicateKeyError:
                    continue
                return number
        raise NumbersExhausted(name)

    async def application_of(self, number: str) -> str | None:
        """The application a number was allocated to, or None for a number never allocated."""
        claim = await self._claims.find_one({"_id": number})
        return str(claim["application_id"]) if claim else None
