"""Open reservations and when they lapse: a projection of the permit streams for the
expiry scheduler, so it need not read every stream to find the lapsed ones.

It is written after each commit from the permit's state (and repaired on redelivery),
indexed on `reserved_until`, and holds only reservations still open.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase


class MongoReservations:
    """The collection `open_reservations`: `{_id: application id, reserved_until}`."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._open = db["open_reservations"]

    async def ensure_indexes(self) -> None:
        """The scheduler filters and sorts on `reserved_until`."""
        await self._open.create_index([("reserved_until", ASCENDING)], name="reserved_until")

    async def track(self, application_id: str, reserved_until: datetime) -> None:
        """Remember an open reservation (idempotent)."""
        await self._open.replace_one(
            {"_id": application_id},
            {"_id": application_id, "reserved_until": reserved_until},
            upsert=True,
        )

    async def forget(self, application_id: str) -> None:
        """The reservation was issued, cancelled or has expired (idempotent)."""
        await self._open.delete_one({"_id": application_id})

    async def lapsed(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        """Applications whose reservation ran out at or before `now`, oldest first, with
        the moment each ran out."""
        cursor = self._open.find(
            {"reserved_until": {"$lte": now}},
            sort=[("reserved_until", ASCENDING)],
            limit=limit,
        )
        return [(str(doc["_id"]), _utc(doc["reserved_until"])) async for doc in cursor]


def _utc(moment: datetime) -> datetime:
    # BSON dates are UTC; a client without tz_aware=True returns them naive.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
