"""The saga's index of cases and extensions: what its timers and the operators filter on.

It is a projection of the streams (rebuildable from them), written after each commit
that moves something a timer or a filter uses: each case's status, clock, due date and
next timer, with both sides' statuses as they are then; each extension's timer; and
which case an issued work permit belongs to (for extensions). While a case is open, a step
that moves one side only (the first reservation, the first permit issued) writes
nothing: its side shows with the case's next write, at the latest its decision.
`CaseIndex` keeps it in the database; `MemoryCaseIndex` in a dict, for unit tests.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from onewindow.applications.domain.case import Calendar, Case
from onewindow.applications.domain.extension import Extension
from onewindow.runtime import ownership
from onewindow.runtime.clock import Clock

# Cases whose index entry a process remembers (least recent out).
REMEMBERED = 20_000
# The case fields that alone never call for a write (see the module).
SIDE_FIELDS = frozenset({"work", "residence"})


@dataclass(frozen=True)
class Due:
    """A case or extension whose timer is due: its id, and the timer's moment and action."""

    id: str
    due: datetime
    action: str


def case_fields(case: Case, calendar: Calendar) -> dict[str, Any]:
    """What the index shows of a case."""
    timer = case.next_timer(calendar)
    return {
        "status": case.status,
        "open": case.is_open,
        "clock": case.clock,
        "due_on": case.due_on.isoformat() if case.due_on else None,
        "escalated_for": case.escalated_for.isoformat() if case.escalated_for else None,
        "timer_due": timer.due.astimezone(UTC) if timer else None,
        "timer_action": timer.action if timer else None,
        "work": case.work.status,
        "residence": case.residence.status,
    }


def extension_fields(extension: Extension) -> dict[str, Any]:
    """What the index shows of an extension."""
    timer = extension.next_timer()
    return {
        "open": extension.closed is None,
        "timer_due": timer.due.astimezone(UTC) if timer else None,
        "timer_action": timer.action if timer else None,
        "outcome": extension.closed.outcome if extension.closed else None,
    }


def _moves(before: dict[str, Any], after: dict[str, Any]) -> bool:
    # A decided case's sides are always written: `ops invariants` checks them (a permit
    # revoked after the decision must show).
    ignored = SIDE_FIELDS if after["open"] else frozenset()
    return any(before.get(k) != v for k, v in after.items() if k not in ignored)


class CaseIndex:
    """The index in the saga's database (collections `cases`, `extensions`, `permits`)."""

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], *, clock: Clock, calendar: Calendar
    ) -> None:
        self.db, self.clock, self.calendar = db, clock, calendar
        # Index writes of one case are serialised (striped locks keep memory bounded).
        self._locks = tuple(asyncio.Lock() for _ in range(64))
        # What this process last wrote to each entry, (version, fields): one case's
        # messages reach one consumer, so an entry need not be read back, and a step that
        # changes none of its fields writes nothing (dropped when partitions move).
        self._cases: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._extensions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        ownership.register(self)

    def forget_all(self) -> None:
        """Drop what this process remembers (partitions moved)."""
        self._cases.clear()
        self._extensions.clear()

    async def ensure_indexes(self) -> None:
        await self.db.cases.create_index([("open", 1), ("clock", 1), ("due_on", 1)])
        await self.db.cases.create_index([("status", 1), ("updated_at", 1)])
        await self.db.cases.create_index([("open", 1), ("timer_due", 1)])
        await self.db.extensions.create_index([("open", 1), ("timer_due", 1)])

    async def index_case(self, case: Case, version: int) -> None:
        """Bring the case's entry up to stream version `version`.

        Written after the commit, and the commit's messages may already have caused the
        next step (the relay publishes at once), so an older step's write can arrive late:
        each write carries the stream version and never replaces a newer one.
        """
        if not case.application_id:
            return
        fields = case_fields(case, self.calendar)
        async with self._locks[hash(case.application_id) % len(self._locks)]:
            known = self._cases.get(case.application_id)
            if known is None:
                # The entry of a case at version 1 can only be older or the same.
                stored = 0 if version == 1 else await self._stored_version(case.application_id)
                known = (stored, {})
            if known[0] >= version:
                return
            if _moves(known[1], fields):  # else no timer or filter would notice
                await self._write_case(case, version, fields)
            self._cases[case.application_id] = (version, fields)
            self._cases.move_to_end(case.application_id)
            while len(self._cases) > REMEMBERED:
                self._cases.popitem(last=False)

    async def index_extension(self, extension_id: str, extension: Extension) -> None:
        """Write the extension's entry if its timer or state moved."""
        fields = extension_fields(extension)
        if self._extensions.get(extension_id) == fields:
            return
        await self._write_extension(extension_id, fields)
        self._extensions[extension_id] = fields
        self._extensions.move_to_end(extension_id)
        while len(self._extensions) > REMEMBERED:
            self._extensions.popitem(last=False)

    # --- storage (what `MemoryCaseIndex` replaces) ----------------------------------------

    async def _stored_version(self, application_id: str) -> int:
        shown = await self.db.cases.find_one({"_id": application_id}, {"version": True})
        return int(shown.get("version", 0)) if shown is not None else 0

    async def _write_case(self, case: Case, version: int, fields: dict[str, Any]) -> None:
        await self.db.cases.update_one(
            {"_id": case.application_id},
            {"$set": {**fields, "updated_at": self.clock.now(), "version": version}},
            upsert=True,
        )
        if case.status == "approved" and case.work.number:
            await self.db.permits.update_one(
                {"_id": case.work.number},
                {
                    "$set": {
                        "application_id": case.application_id,
                        "residence_permit_number": case.residence.number,
                    }
                },
                upsert=True,
            )

    async def _write_extension(self, extension_id: str, fields: dict[str, Any]) -> None:
        await self.db.extensions.update_one(
            {"_id": extension_id},
            {"$set": {**fields, "updated_at": self.clock.now()}},
            upsert=True,
        )

    async def case_of_permit(self, work_permit_number: str) -> str | None:
        """The case an issued work permit belongs to."""
        permit = await self.db.permits.find_one({"_id": work_permit_number})
        return str(permit["application_id"]) if permit else None

    async def due_cases(self, now: datetime, limit: int) -> list[Due]:
        """Open cases whose timer is due at `now`, the most overdue first."""
        return await self._due(self.db.cases, now, limit)

    async def due_extensions(self, now: datetime, limit: int) -> list[Due]:
        return await self._due(self.db.extensions, now, limit)

    @staticmethod
    async def _due(collection: Any, now: datetime, limit: int) -> list[Due]:
        query = {"open": True, "timer_due": {"$lte": now}}
        cursor = collection.find(query).sort("timer_due", 1).limit(limit)
        return [
            Due(str(doc["_id"]), doc["timer_due"], str(doc.get("timer_action")))
            async for doc in cursor
        ]

    async def past_due(self, today: date) -> list[tuple[str, str]]:
        """Open, running cases past their due date and not yet escalated for it:
        (application id, due date)."""
        query = {"open": True, "clock": "running", "due_on": {"$lt": today.isoformat()}}
        return [
            (str(doc["_id"]), str(doc["due_on"]))
            async for doc in self.db.cases.find(query)
            if doc.get("escalated_for") != doc["due_on"]
        ]


class MemoryCaseIndex(CaseIndex):
    """The same index in dicts (unit tests: no database)."""

    def __init__(self, *, clock: Clock, calendar: Calendar) -> None:
        self.clock, self.calendar = clock, calendar
        self._locks = tuple(asyncio.Lock() for _ in range(4))
        self._cases = OrderedDict()
        self._extensions = OrderedDict()
        self.cases: dict[str, dict[str, Any]] = {}
        self.extensions: dict[str, dict[str, Any]] = {}
        self.permits: dict[str, str] = {}

    async def ensure_indexes(self) -> None:
        return None

    async def _stored_version(self, application_id: str) -> int:
        return int(self.cases.get(application_id, {}).get("version", 0))

    async def _write_case(self, case: Case, version: int, fields: dict[str, Any]) -> None:
        self.cases[case.application_id] = {**fields, "version": version}
        if case.status == "approved" and case.work.number:
            self.permits[case.work.number] = case.application_id

    async def _write_extension(self, extension_id: str, fields: dict[str, Any]) -> None:
        self.extensions[extension_id] = dict(fields)

    async def case_of_permit(self, work_permit_number: str) -> str | None:
        return self.permits.get(work_permit_number)

    async def due_cases(self, now: datetime, limit: int) -> list[Due]:
        return _due_in(self.cases, now, limit)

    async def due_extensions(self, now: datetime, limit: int) -> list[Due]:
        return _due_in(self.extensions, now, limit)

    async def past_due(self, today: date) -> list[tuple[str, str]]:
        return [
            (case_id, doc["due_on"])
            for case_id, doc in self.cases.items()
            if doc["open"]
            and doc["clock"] == "running"
            and doc["due_on"] is not None
            and doc["due_on"] < today.isoformat()
            and doc.get("escalated_for") != doc["due_on"]
        ]


def _due_in(entries: dict[str, dict[str, Any]], now: datetime, limit: int) -> list[Due]:
    due = [
        Due(key, doc["timer_due"], str(doc["timer_action"]))
        for key, doc in entries.items()
        if doc["open"] and doc["timer_due"] is not None and doc["timer_due"] <= now
    ]
    return sorted(due, key=lambda d: d.due)[:limit]
