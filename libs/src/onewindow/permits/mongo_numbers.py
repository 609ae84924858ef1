"""Permit numbers (`WP-2026-000123`, `RP-2026-000123`): unique and never reused (see
runtime.numbering)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from onewindow.permits.numbers import NumberFormat, permit_number, series
from onewindow.runtime.numbering import UniqueNumbers


class MongoPermitNumbers:
    """Allocates permit numbers in `permit_number_series` and `permit_numbers`."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._numbers = UniqueNumbers(db, "permit_number")

    async def allocate(
        self, fmt: NumberFormat, year: int, application_id: str, now: datetime
    ) -> str:
        """A number of `fmt`'s series for `year` that no one has had before, claimed for
        `application_id`."""
        return await self._numbers.claim_next(
            series(fmt, year),
            lambda sequence: permit_number(fmt, year, sequence),
            application_id,
            now,
        )

    async def application_of(self, number: str) -> str | None:
        """The application a number was allocated to, or None for a number never allocated."""
        return await self._numbers.owner_of(number)
