"""How each integration event changes the case view of API.md.

`changes(message)` is pure: it returns the MongoDB update for one event, or None for
events the view does not show. `Projection` applies it idempotently (each event id is
applied once) and wakes the live streams.

Deferred (the gateway's subscription): `apply` only stages a case's changes, merged with
the ones staged before it, and `flush`, run by the subscriber at the end of each batch
before its offsets are committed, writes each case once. The events of one commit
(`ApplicationReceived` and its status, the decision and its status) come in one batch,
so they cost one write, and more merge the further the projection lags.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.contracts.reasons import describe
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1.common import LegalBasis, Reason
from onewindow.gateway.domain.ownership import applicant_account
from onewindow.runtime import ownership

VIEWS = "applications_view"
EXTENSIONS = "extensions_view"
# Cases whose applied event ids the projection remembers (least recent out).
REMEMBERED_CASES = 20_000
PERMIT_CASES = "permit_cases"
# Every collection this projection writes; a rebuild writes their `<name><suffix>` twins.
COLLECTIONS = (VIEWS, EXTENSIONS, PERMIT_CASES)
APPLIED_KEPT = 200  # event ids remembered per case to recognise redeliveries


def reason_view(reason: Reason) -> dict[str, Any]:
    """A reason as API.md shows it: code, side, both languages and its legal basis
    (`{"policy", "article"}`, null when the reason names none).

    A `document_unverified` reason also names the uploads it is about (`uploads`: each
    `{"upload_id", "kind", "href"}`, and while an officer reviews it what to `check`), so
    the officer finds the scan to download and verify.
    """
    message_en, message_zh = describe(reason)
    view: dict[str, Any] = {
        "code": reason.code,
        "side": reason.side,
        "message_en": message_en,
        "message_zh": message_zh,
        "legal_basis": _basis(reason.legal_basis),
    }
    if reason.code == "document_unverified" and reason.params.get("upload_id"):
        view["uploads"] = _uploads(reason.params)
    return view


def _uploads(params: dict[str, str]) -> list[dict[str, str]]:
    # An officer's refusal may name several uploads (comma-separated ids and kinds).
    ids, kinds = params["upload_id"].split(","), params.get("kind", "").split(",")
    check = {"check": params["check"]} if params.get("check") else {}
    return [
        {
            "upload_id": upload_id,
            "kind": kinds[i] if i < len(kinds) else kinds[-1],
            "href": f"/v1/uploads/{upload_id}",
            **check,
        }
        for i, upload_id in enumerate(ids)
        if upload_id
    ]


def _basis(basis: LegalBasis | None) -> dict[str, str] | None:
    """A legal basis as the view shows it (`{"policy", "article"}`), or None."""
    return basis.model_dump() if basis is not None else None


def permit(view: app.PermitView) -> dict[str, Any]:
    return {
        "status": view.status,
        "number": view.number,
        "valid_until": view.valid_until.isoformat() if view.valid_until else None,
        "reasons": [reason_view(r) for r in view.reasons],
        "under_review": view.under_review,
    }


def entry(at: datetime, kind: str, summary: str) -> dict[str, Any]:
    return {"at": at.isoformat(), "type": kind, "summary": summary}


def changes(message: Message, at: datetime) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """($set fields, timeline entry) for one event sent at `at`, or None if the view ignores it."""
    match message:
        case app.ApplicationReceived():
            return {
                "submitted_at": message.submitted_at.isoformat(),
                "channel": message.channel,
                "owner_sub": applicant_account(message.submitted_by),
                "submitted_by": message.submitted_by.sub,
                "employer_uscc": message.employer_uscc,
                "deadline": {
                    "due_on": _iso(message.deadline.due_on),
                    "clock": message.deadline.clock,
                },
            }, entry(
                message.submitted_at,
                "application.submitted",
                f"Application received; decision due on {message.deadline.due_on}",
            )
        case app.ApplicationStatusChanged():
            fields: dict[str, Any] = {
                "status": message.status,
                "work_permit": permit(message.work_permit),
                "residence_permit": permit(message.residence_permit),
                "deadline": {
                    "due_on": _iso(message.deadline.due_on),
                    "clock": message.deadline.clock,
                },
                "updated_at": message.at.isoformat(),
                # Shown to staff only (`routes.public_view`): an applicant never learns them.
                "flags": list(message.flags),
            }
            if message.classification is not None:
                fields["category"] = message.classification.category
                fields["points"] = message.classification.points
                fields["classification"] = message.classification.model_dump(mode="json")
            return fields, entry(message.at, f"application.{message.status}", message.summary)
        case app.DocumentsRequested():
            return {
                "documents_requested": {
                    "documents": list(message.documents),
                    "respond_by": message.respond_by.isoformat(),
                    "requested_by": message.requested_by,
                }
            }, entry(
                at,
                "application.documents_requested",
                f"Documents requested: {', '.join(message.documents)}; "
                f"please supply them by {message.respond_by}",
            )
        case app.OfficerReviewRequested():
            return {}, entry(
                at,
                "application.review_requested",
                f"An officer reviews the {message.permit} permit",
            )
        case app.ApplicationApproved():
            return {
                "decision": {
                    "outcome": "approved",
                    "decided_at": message.decided_at.isoformat(),
                    "decided_by": message.decided_by,
                    "reasons": [],
                    "appeal": None,
                    "legal_basis": _basis(message.legal_basis),
                }
            }, entry(
                message.decided_at,
                "application.decided",
                f"Approved: work permit {message.work_permit.number}, residence permit "
                f"{message.residence_permit.number}",
            )
        case app.ApplicationRefused():
            return {
                "decision": {
                    "outcome": "refused",
                    "decided_at": message.decided_at.isoformat(),
                    "decided_by": message.decided_by,
                    "reasons": [reason_view(r) for r in message.reasons],
                    "appeal": {
                        "route": message.appeal.route,
                        "deadline": message.appeal.deadline.isoformat(),
                    },
                    "legal_basis": _basis(message.legal_basis),
                }
            }, entry(
                message.decided_at,
                "application.decided",
                "Refused: " + ", ".join(r.code for r in message.reasons),
            )
        case app.ApplicationWithdrawn():
            return {
                "decision": {
                    "outcome": "withdrawn",
                    "decided_at": message.withdrawn_at.isoformat(),
                    "decided_by": "applicant",
                    "reasons": [],
                    "appeal": None,
                    "legal_basis": _basis(message.legal_basis),
                }
            }, entry(message.withdrawn_at, "application.decided", "Withdrawn by the applicant")
        case app.DeadlineEscalated():
            return {"escalated": True, "escalated_at": message.escalated_at.isoformat()}, entry(
                message.escalated_at,
                "application.deadline_escalated",
                f"Decision due on {message.due_on} is late; escalated to a supervisor",
            )
    return None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class _Staged:
    """One case's changes waiting for `Projection.flush`, merged in the events' order."""

    fields: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    # Staged while this process knew nothing of the case's view (a miss): the write then
    # proves that the view holds none of these events yet.
    unproven: bool = False

    def merge(self, later: _Staged) -> None:
        """Add `later`'s changes after these."""
        self.fields.update(later.fields)
        self.timeline += later.timeline
        self.applied += later.applied
        self.unproven = self.unproven or later.unproven

    def without(self, held: Collection[str]) -> _Staged:
        """These changes less the events the view already holds. The fields merged stay
        whole: the view holds an earlier prefix of the same events, so setting them again
        leaves it as the later events left it."""
        kept = [i for i, event in enumerate(self.applied) if event not in held]
        return _Staged(
            self.fields, [self.timeline[i] for i in kept], [self.applied[i] for i in kept]
        )

    def update(self) -> dict[str, Any]:
        return {
            "$set": self.fields,
            "$inc": {"version": len(self.applied)},
            "$push": {
                "timeline": {"$each": self.timeline},
                "applied": {"$each": self.applied, "$slice": -APPLIED_KEPT},
            },
        }


class Projection:
    """Applies case events to the views; redeliveries change nothing."""

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], *, suffix: str = "", deferred: bool = False
    ) -> None:
        """Project into `db`'s collections; with a `suffix`, into `<name><suffix>` instead
        (what a rebuild fills before it replaces the live ones); `deferred`: each case's
        changes wait for `flush` (see the module)."""
        self.db = db
        self.deferred = deferred
        # Per case, the changes staged and not yet written (`flush`), in order.
        self._staged: dict[str, _Staged] = {}
        self._flushing = asyncio.Lock()
        self.changed = asyncio.Condition()
        # The event streams following each case: woken by that case's changes only.
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self.views = db[VIEWS + suffix]
        self.extensions = db[EXTENSIONS + suffix]
        self.permit_cases = db[PERMIT_CASES + suffix]
        # The events each case's view holds, as this process last wrote them: one case's
        # events reach one consumer, so the view need not be read back before each write
        # (dropped when partitions move; read from the view on a miss).
        self._applied: OrderedDict[str, list[str]] = OrderedDict()
        ownership.register(self)

    def forget_all(self) -> None:
        """Drop what this process remembers of the views (partitions were reassigned)."""
        self._applied.clear()

    async def ensure_indexes(self) -> None:
        views = self.views
        for keys in (
            [("owner_sub", 1), ("submitted_at", -1)],
            [("employer_uscc", 1), ("submitted_at", -1)],
            [("status", 1), ("submitted_at", -1)],
            [("submitted_at", -1)],
        ):
            await views.create_index(keys)

    async def apply(self, message: Message, envelope: Envelope) -> None:
        if isinstance(message, app.ExtensionDecided):
            await self._extension(message)
        if isinstance(message, app.ApplicationApproved):
            # The gateway's extension route finds a permit's case here.
            await self.permit_cases.update_one(
                {"_id": message.work_permit.number},
                {
                    "$set": {
                        "application_id": message.application_id,
                        "residence_permit_number": message.residence_permit.number,
                    }
                },
                upsert=True,
            )
        found = changes(message, envelope.time)
        if found is None:
            return
        fields, timeline = found
        application_id = str(getattr(message, "application_id", ""))  # case events carry it
        # One case's events come from one partition, to one consumer, in order: what this
        # process remembers of the view is what the view holds. On a miss nothing is read:
        # the write proves the events new (see `_write`).
        applied = self._applied.get(application_id)
        if applied is not None and envelope.id in applied:
            return  # a redelivery: the view already holds this event
        staged = self._staged.setdefault(application_id, _Staged())
        staged.unproven = staged.unproven or applied is None
        applied = applied or []
        staged.fields.update(fields)
        staged.timeline.append(timeline)
        staged.applied.append(envelope.id)
        self._remember(application_id, [*applied, envelope.id][-APPLIED_KEPT:])
        if not self.deferred:
            await self.flush()

    async def flush(self) -> None:
        """Write every case's staged changes, one update each, and wake their watchers.

        A case whose write failed stays staged (before anything staged since) and the
        error is raised: the next flush writes it, and its events delivered again are
        recognised as applied meanwhile.
        """
        async with self._flushing:  # one flush at a time: a case's writes stay in order
            staged, self._staged = self._staged, {}
            cases = list(staged)
            results = await asyncio.gather(
                *(self._write(case, staged[case]) for case in cases), return_exceptions=True
            )
            failed = {c: staged[c] for c, r in zip(cases, results, strict=True) if r is not None}
            for case, newer in self._staged.items():
                failed.setdefault(case, _Staged()).merge(newer)
            self._staged = failed
        for case in cases:
            for woken in self._watchers.get(case, ()):
                woken.set()
        if cases:
            async with self.changed:
                self.changed.notify_all()
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    async def _write(self, application_id: str, staged: _Staged) -> None:
        """One update of the case's view. Staged after a miss, it applies only if the view
        holds none of the events (a new case, or events after those it holds): otherwise
        the upsert's insert meets the `_id` taken, the view is read, and only the events
        it lacks are written. The events of one case arrive in order, so the view holds a
        prefix of them (a redelivery after a restart or a rebalance)."""
        if not staged.unproven:
            await self.views.update_one({"_id": application_id}, staged.update(), upsert=True)
            return
        try:
            await self.views.update_one(
                {"_id": application_id, "applied": {"$nin": staged.applied}},
                staged.update(),
                upsert=True,
            )
            return
        except DuplicateKeyError:
            pass
        current = await self.views.find_one({"_id": application_id}, {"applied": True})
        held = list(current.get("applied", [])) if current is not None else []
        lacking = staged.without(set(held))
        if lacking.applied:
            await self.views.update_one({"_id": application_id}, lacking.update(), upsert=True)
        known = [*held, *lacking.applied]
        seen = set(known)
        later = [e for e in self._applied.get(application_id, []) if e not in seen]
        self._remember(application_id, [*known, *later][-APPLIED_KEPT:])

    def watch(self, application_id: str) -> asyncio.Event:
        """An event set whenever this process changes the case's view (`unwatch` it)."""
        woken = asyncio.Event()
        self._watchers.setdefault(application_id, set()).add(woken)
        return woken

    def unwatch(self, application_id: str, woken: asyncio.Event) -> None:
        watching = self._watchers.get(application_id)
        if watching is not None:
            watching.discard(woken)
            if not watching:
                del self._watchers[application_id]

    def _remember(self, application_id: str, applied: list[str]) -> None:
        self._applied[application_id] = applied
        self._applied.move_to_end(application_id)
        while len(self._applied) > REMEMBERED_CASES:
            self._applied.popitem(last=False)

    async def _extension(self, message: app.ExtensionDecided) -> None:
        await self.flush()  # the case's earlier changes first: this write comes after them
        grant = {
            "work_permit": message.work_permit.model_dump(mode="json")
            if message.work_permit
            else None,
            "residence_permit": message.residence_permit.model_dump(mode="json")
            if message.residence_permit
            else None,
        }
        await self.extensions.update_one(
            {"_id": message.extension_id},
            {
                "$set": {
                    "status": message.outcome,
                    "application_id": message.application_id,
                    "reasons": [reason_view(r) for r in message.reasons],
                    **grant,
                }
            },
            upsert=True,
        )
        if message.outcome == "approved" and message.application_id and message.work_permit:
            assert message.residence_permit is not None
            residence_until = message.residence_permit.valid_until.isoformat()
            await self.views.update_one(
                {"_id": message.application_id},
                {
                    "$set": {
                        "work_permit.valid_until": message.work_permit.valid_until.isoformat(),
                        "residence_permit.valid_until": residence_until,
                    },
                    "$push": {
                        "timeline": entry(
                            message.decided_at,
                            "application.extended",
                            f"Both permits extended until {message.work_permit.valid_until}",
                        )
                    },
                },
            )
