"""Which employer each case names (collection `case_employers`), for employers' webhooks.

Only `ApplicationReceived` carries the employer's USCC; the later events of a case
travel on the same partition after it, so remembering it here is enough to find
the employer's webhook when the case is decided.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class CaseEmployers:
    """Application id → employer USCC."""

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], collection: str = "case_employers"
    ) -> None:
        self.cases = db[collection]

    async def remember(self, application_id: str, uscc: str) -> None:
        """Record the employer of a case (idempotent)."""
        # A replica handling the same event may insert it first, with the same value.
        with contextlib.suppress(DuplicateKeyError):
            await self.cases.update_one(
                {"_id": application_id}, {"$set": {"uscc": uscc}}, upsert=True
            )

    async def employer_of(self, application_id: str) -> str | None:
        """The USCC of the case's employer, if the case's start was seen."""
        doc = await self.cases.find_one({"_id": application_id})
        return str(doc["uscc"]) if doc is not None else None
