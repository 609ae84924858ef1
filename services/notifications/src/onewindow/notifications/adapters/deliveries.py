"""The delivery log in MongoDB: one document per delivery (`deliveries`), one per
attempt (`delivery_attempts`).

Exclusivity rests on inserts alone, because FerretDB 1.24 (SQLite) does not apply
an update's filter atomically: with four replicas racing, a conditional
`update_one` or a `find_one_and_update` let two of them win in about half of the
trials. An insert under a unique `_id` has exactly one winner everywhere:

- the delivery's `_id` is its deterministic id, so recording the intent twice
  fails with duplicate key 11000 for everyone but the first;
- attempt *n* of a delivery is the document `<delivery id>#<n>` in
  `delivery_attempts`; whoever inserts it holds the delivery until its
  `lease_until`. A claimant that crashed lets the lease lapse, and the next
  claimant counts its attempt and inserts *n + 1*;
- a delivery recorded already held by its recorder (the intake attempts it at once)
  holds attempt 1 by that same insert: the delivery document says so (`first_claim`),
  and claimants start at attempt 2, so the fast path writes one document, not two.

The delivery document mirrors the latest claim (`owner`, `lease_until`,
`attempts`) so the look for due deliveries can skip held ones.

Group commit (`runtime.mongo.UniqueInserts`): deliveries recorded while an insert is under way
go together in the next `insert_many`, so under load one command records many.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from onewindow.notifications.domain.delivery import Channel, DeliveryState
from onewindow.runtime import vault
from onewindow.runtime.mongo import UniqueInserts

# An unclaimed delivery's lease lapsed long ago (a null would need `$or` queries).
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# Attempts skipped in one claim because their claimants died; more means a bug.
MAX_LAPSED_CLAIMS = 100


@dataclass(frozen=True)
class Cause:
    """The envelope of the event that caused a delivery, as far as replies need it."""

    id: str
    type: str
    source: str
    time: datetime
    correlation_id: str
    traceparent: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One entry of the delivery log."""

    id: str
    cause: Cause
    application_id: str
    template: str
    audience: str
    language: str
    channel: Channel
    recipient: str
    recipient_masked: str
    # The e-mail (`subject`, `text`, `html`) or the webhook's JSON body.
    content: dict[str, Any]
    created_at: datetime
    state: DeliveryState = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    finished_at: datetime | None = None


def _to_document(delivery: Delivery) -> dict[str, Any]:
    doc = asdict(delivery)
    doc["_id"] = doc.pop("id")
    doc["next_attempt_at"] = delivery.next_attempt_at or delivery.created_at
    doc.update(owner=None, lease_until=NEVER)
    return doc


async def _sealed(delivery: Delivery) -> dict[str, Any]:
    # The recipient's address sealed under the case's key (`runtime.vault`): erasing the
    # person leaves the log of what was sent, not to whom.
    doc: dict[str, Any] = await vault.seal_payload(
        _to_document(delivery), delivery.cause.correlation_id
    )
    return doc


async def _opened(doc: dict[str, Any]) -> Delivery:
    return _from_document(await vault.unseal_payload(doc, doc["cause"]["correlation_id"]))


def _from_document(doc: dict[str, Any]) -> Delivery:
    fields = {
        k: v for k, v in doc.items() if k not in {"_id", "owner", "lease_until", "first_claim"}
    }
    fields["cause"] = Cause(**_aware_all(fields["cause"]))
    return Delivery(id=str(doc["_id"]), **_aware_all(fields))


def _aware(moment: datetime) -> datetime:
    # BSON dates are UTC; a client without tz_aware=True hands them back naive.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _aware_all(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _aware(v) if isinstance(v, datetime) else v for k, v in values.items()}


def attempt_id(delivery_id: str, attempt: int) -> str:
    """The `_id` of attempt `attempt` (1-based) of a delivery."""
    return f"{delivery_id}#{attempt}"


def _finished(state: DeliveryState, at: datetime, error: str | None) -> dict[str, Any]:
    """The fields of a delivery settled for good."""
    fields: dict[str, Any] = {"state": state, "finished_at": at, "lease_until": NEVER}
    if error is not None:
        fields["last_error"] = error
    return fields


def _free(doc: dict[str, Any], now: datetime) -> bool:
    return (
        doc["state"] == "pending"
        and _aware(doc["next_attempt_at"]) <= now
        and _aware(doc["lease_until"]) <= now
    )


class DeliveryLog:
    """Records, claims and settles deliveries."""

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        collection: str = "deliveries",
        attempts_collection: str = "delivery_attempts",
    ) -> None:
        self.deliveries = db[collection]
        self.attempts = db[attempts_collection]
        self._insert = UniqueInserts(self.deliveries)

    async def ensure_indexes(self) -> None:
        """The retry loop's look-up of due deliveries, and attempts by delivery (idempotent)."""
        await self.deliveries.create_index(
            [("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="due"
        )
        await self.attempts.create_index([("delivery_id", ASCENDING)], name="delivery")

    async def record(
        self, delivery: Delivery, *, owner: str | None = None, lease_until: datetime | None = None
    ) -> bool:
        """Record the intent to deliver; False if it was recorded before (by anyone).

        With an `owner`, the intent is recorded already held by it for attempt 1 until
        `lease_until` (the recorder attempts it at once, with no claim to read back).
        Whoever recorded it first is the only one who can hold attempt 1 this way; if the
        recorder dies before it settles, the lease lapses and a claim takes attempt 2.
        """
        doc = await _sealed(delivery)
        if owner is not None:
            # Attempt 1 is this insert's: no claimant can take it (they count from
            # `attempts`), so it needs no document of its own in `delivery_attempts`.
            first = {"owner": owner, "claimed_at": delivery.created_at, "lease_until": lease_until}
            doc.update(owner=owner, lease_until=lease_until, attempts=1, first_claim=first)
        return await self._insert(doc)

    async def get(self, delivery_id: str) -> Delivery | None:
        doc = await self.deliveries.find_one({"_id": delivery_id})
        return await _opened(doc) if doc is not None else None

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of pending deliveries whose next attempt is due and whose lease lapsed."""
        cursor = self.deliveries.find(
            {"state": "pending", "next_attempt_at": {"$lte": now}, "lease_until": {"$lte": now}},
            {"_id": True},
            sort=[("next_attempt_at", ASCENDING)],
            limit=limit,
        )
        return [str(doc["_id"]) async for doc in cursor]

    async def claim(
        self, delivery_id: str, *, owner: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        """Take a due, pending, unheld delivery for one attempt until `now + lease`.

        Returns the delivery with this attempt counted, or None if it is not pending,
        not due, or held by someone else.
        """
        doc = await self.deliveries.find_one({"_id": delivery_id})
        if doc is None or not _free(doc, now):
            return None
        attempt = int(doc["attempts"]) + 1
        for _ in range(MAX_LAPSED_CLAIMS):
            try:
                await self.attempts.insert_one(
                    {
                        "_id": attempt_id(delivery_id, attempt),
                        "delivery_id": delivery_id,
                        "owner": owner,
                        "claimed_at": now,
                        "lease_until": now + lease,
                    }
                )
                break
            except DuplicateKeyError:
                held = await self.attempts.find_one({"_id": attempt_id(delivery_id, attempt)})
                if held is None or _aware(held["lease_until"]) > now:
                    return None  # someone holds it (or just finished with it)
                attempt += 1  # its claimant died before the log showed the attempt
        else:
            return None
        await self.deliveries.update_one(
            {"_id": delivery_id},
            {"$max": {"attempts": attempt}, "$set": {"owner": owner, "lease_until": now + lease}},
        )
        fresh = await self.deliveries.find_one({"_id": delivery_id})
        if fresh is None or fresh["state"] != "pending":
            return None  # settled meanwhile by the holder of an earlier attempt
        return replace(await _opened(fresh), attempts=attempt)

    async def _update_if(
        self, delivery_id: str, condition: dict[str, Any], fields: dict[str, Any]
    ) -> bool:
        """Set `fields` if the delivery still matches `condition`; False if it does not.

        Read, then write by `_id` alone: FerretDB's SQLite backend scans and decodes the
        whole collection for any filter but `_id`, and its conditional updates are not
        atomic anyway (see `claim`); who may act is decided by the insert-only claims in
        `delivery_attempts` and the outcome's commit in the event store, not here.
        """
        doc = await self.deliveries.find_one({"_id": delivery_id})
        if doc is None or any(doc.get(key) != value for key, value in condition.items()):
            return False
        await self.deliveries.update_one({"_id": delivery_id}, {"$set": fields})
        return True

    async def reschedule(self, delivery_id: str, *, owner: str, at: datetime, error: str) -> bool:
        """Release the lease with the next attempt set for `at`; False if the lease was lost."""
        return await self._update_if(
            delivery_id,
            {"owner": owner, "state": "pending"},
            {"next_attempt_at": at, "last_error": error, "owner": None, "lease_until": NEVER},
        )

    async def settle(
        self,
        delivery_id: str,
        *,
        state: DeliveryState,
        at: datetime,
        error: str | None = None,
        owner: str | None = None,
    ) -> bool:
        """Mark a delivery `sent` or `failed` for good; with `owner`, only while holding it."""
        condition: dict[str, Any] = {"state": "pending"}
        if owner is not None:
            condition["owner"] = owner
        return await self._update_if(delivery_id, condition, _finished(state, at, error))

    async def record_outcome(
        self, delivery_id: str, *, state: DeliveryState, at: datetime, error: str | None = None
    ) -> None:
        """Mirror an outcome that its commit in the event store already decided (the one
        commit per delivery that can win), so no condition needs reading first.

        One `update_one` by `_id` each: an `update_many` of the deliveries sent meanwhile
        (`{"state": "pending", "_id": {"$in": [...]}}`) cost FerretDB 1.24 on PostgreSQL
        416 ms a command in `make bench`, ten times the single updates it replaced.
        """
        await self.deliveries.update_one(
            {"_id": delivery_id}, {"$set": _finished(state, at, error)}
        )

    async def attempts_of(self, delivery_id: str) -> list[dict[str, Any]]:
        """The attempt records of a delivery (owner, claimed_at, lease_until), in order; the
        first is the delivery's own when it was recorded held (`record` with an owner)."""
        delivery = await self.deliveries.find_one({"_id": delivery_id}, {"first_claim": True})
        first = [delivery["first_claim"]] if delivery and delivery.get("first_claim") else []
        cursor = self.attempts.find({"delivery_id": delivery_id}, {"_id": False})
        claims = [{"delivery_id": delivery_id, **claim} for claim in first]
        claims += [doc async for doc in cursor]
        return sorted(claims, key=lambda doc: doc["claimed_at"])

    async def of_event(self, event_id: str) -> list[Delivery]:
        """Every delivery an event caused (for operators and tests)."""
        cursor = self.deliveries.find({"cause.id": event_id}, sort=[("created_at", ASCENDING)])
        return [await _opened(doc) async for doc in cursor]
