"""Which employer each case names (collection `case_employers`), for employers' webhooks.

Only `ApplicationReceived` carries the employer's USCC; the later events of a case
travel on the same partition after it, so remembering it here is enough to find
the employer's webhook when the case is decided.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from onewindow.runtime.mongo import UniqueInserts


class CaseEmployers:
    """Application id → employer USCC."""

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], collection: str = "case_employers"
    ) -> None:
        self.cases = db[collection]
        self._insert = UniqueInserts(self.cases)

    async def remember(self, application_id: str, uscc: str) -> None:
        """Record the employer of a case (idempotent: a case names one employer, so an
        `_id` already taken, by a redelivery or a replica, holds the same value). Cases
        received meanwhile are recorded by one grouped insert."""
        await self._insert({"_id": application_id, "uscc": uscc})

    async def employer_of(self, application_id: str) -> str | None:
        """The USCC of the case's employer, if the case's start was seen."""
        doc = await self.cases.find_one({"_id": application_id})
        return str(doc["uscc"]) if doc is not None else None
