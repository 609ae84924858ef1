"""Use cases of the applications service: load the saga, decide, append — idempotently.

Every message is handled in the stream of its case (or extension), with the message's
id recorded in the same commit, so a redelivery changes nothing; the commands a step
sends get ids derived from the message that caused them, so a replay re-sends the
same commands and the receivers ignore the repeats.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from onewindow.applications.application.mapping import integration_events
from onewindow.applications.domain import events as ev
from onewindow.applications.domain.case import Case, Step
from onewindow.applications.domain.extension import (
    EXTENSION_EVENTS,
    Extension,
    ExtensionRequested,
)
from onewindow.applications.domain.policy import policy_on
from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.message import Command, Message
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit as rp
from onewindow.contracts.v1 import work_permit as wp
from onewindow.contracts.v1.common import PermitSide
from onewindow.runtime import ownership
from onewindow.runtime.calendar import WorkingCalendar
from onewindow.runtime.clock import Clock, local_today
from onewindow.runtime.eventstore import EventStore, Outgoing, Stream, outgoing
from onewindow.runtime.handling import Decision, handle

log = logging.getLogger(__name__)
SOURCE = "onewindow/applications"


def case_stream(application_id: str) -> str:
    return f"case-{application_id}"


def extension_stream(extension_id: str) -> str:
    return f"extension-{extension_id}"


def load_case(stream: Stream) -> Case:
    return Case.replay(
        [ev.CASE_EVENTS.revive(e.type, e.data) for e in stream.events],
        [e.recorded_at for e in stream.events],
    )


def load_extension(stream: Stream) -> Extension:
    return Extension.replay(
        [EXTENSION_EVENTS.revive(e.type, e.data) for e in stream.events],
        [e.recorded_at for e in stream.events],
    )


# Cases whose index entry the saga remembers (least recent out).
REMEMBERED_CASES = 20_000


@dataclass(eq=False)
class Saga:
    """The saga's handlers, wired with the store, the clock and the calendar."""

    store: EventStore
    db: AsyncDatabase[dict[str, Any]]
    clock: Clock
    calendar: WorkingCalendar
    # Index writes of one case are serialised (striped locks keep memory bounded).
    _index_locks: tuple[asyncio.Lock, ...] = field(
        default_factory=lambda: tuple(asyncio.Lock() for _ in range(64))
    )
    # What this process last wrote to each case's index entry, (version, fields): one
    # case's messages reach one consumer, so the entry need not be read back, and a step
    # that changes none of its fields writes nothing (dropped when partitions move).
    _indexed: OrderedDict[str, tuple[int, dict[str, Any]]] = field(default_factory=OrderedDict)
    _indexed_extensions: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        ownership.register(self)

    def forget_all(self) -> None:
        """Drop what this process remembers of the case index (partitions moved)."""
        self._indexed.clear()
        self._indexed_extensions.clear()

    # --- plumbing -------------------------------------------------------------------

    def _outbox(
        self, key: str, cause: Envelope, sends: list[tuple[Message, str]]
    ) -> list[Outgoing]:
        found = []
        for message, discriminator in sends:
            sent = outgoing(
                message,
                key=key,
                correlation_id=cause.correlation_id,
                source=SOURCE,
                cause=cause,
                discriminator=discriminator,
            )
            if isinstance(message, Command):
                # A command's id names the case and what it asks, not what caused it, so
                # the timer's resend carries the first id and the receiver ignores it if
                # it already answered.
                command_id = deterministic_id(f"saga:{key}", discriminator)
                sent = replace(sent, envelope=replace(sent.envelope, id=command_id))
            found.append(sent)
        return found

    async def on_case(
        self, application_id: str, envelope: Envelope, act: Callable[[Case], Step]
    ) -> None:
        stream_name = case_stream(application_id)
        after: dict[str, tuple[Case, int]] = {}

        def decide(stream: Stream) -> Decision:
            case = load_case(stream)
            case.now = self.clock.now()
            step = act(case)
            after["case"] = (case, stream.version + 1)
            now = self.clock.now()
            sends = list(step.send)
            if case.form is not None:
                sends += integration_events(
                    case, step.events, at=now, policy=policy_on(local_today(self.clock))
                )
            return Decision(
                events=step.events, outbox=self._outbox(application_id, envelope, sends)
            )

        if await handle(self.store, stream_name, envelope.id, decide):
            if "case" in after:
                await self._index(*after["case"])
            return
        # A redelivery: the commit stands, but the process may have died before the index
        # write that follows it, so the index is brought up to the stream (a no-op when
        # it is current: the entry's version says so).
        stream = await self.store.load_owned(stream_name)
        await self._index(load_case(stream), stream.version)

    async def _index(self, case: Case, version: int) -> None:
        """The case index: what the deadline scheduler and operators filter on (rebuildable).

        Written after the commit, and the commit's messages may already have caused the
        next step (the relay publishes at once), so an older step's write can arrive
        late: each write carries the stream version and never replaces a newer one.
        """
        if not case.application_id:
            return
        timer = case.next_timer(self.calendar)
        fields = {
            "status": case.status,
            "open": case.is_open,
            "clock": case.clock,
            "due_on": case.due_on.isoformat() if case.due_on else None,
            "escalated_for": case.escalated_for.isoformat() if case.escalated_for else None,
            # The case's own timer: the sweeper finds every case whose timer is due.
            "timer_due": timer.due.astimezone(UTC) if timer else None,
            "timer_action": timer.action if timer else None,
            "work": case.work.status,
            "residence": case.residence.status,
        }
        async with self._index_locks[hash(case.application_id) % len(self._index_locks)]:
            known = self._indexed.get(case.application_id)
            if known is None:
                shown = await self.db.cases.find_one(
                    {"_id": case.application_id}, {"version": True}
                )
                known = (int(shown.get("version", 0)), {}) if shown is not None else (0, {})
            if known[0] >= version:
                return
            if known[1] != fields:  # else nothing the index shows has changed
                await self._write_index(case, version, fields)
            self._indexed[case.application_id] = (version, fields)
            self._indexed.move_to_end(case.application_id)
            while len(self._indexed) > REMEMBERED_CASES:
                self._indexed.popitem(last=False)

    async def _write_index(self, case: Case, version: int, fields: dict[str, Any]) -> None:
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

    def _today(self) -> date:
        return local_today(self.clock)

    # --- dispatch ---------------------------------------------------------------------

    async def on_message(self, message: Message, envelope: Envelope) -> None:
        """Route one message of any subscribed topic to its use case."""
        now, today = self.clock.now(), self._today()
        policy = policy_on(today)
        days = policy.supplement_response_working_days
        match message:
            case app.SubmitApplication():
                due = self.calendar.add_working_days(today, policy.decision_due_working_days)
                await self.on_case(
                    message.application_id, envelope, lambda c: c.open(message, due_on=due)
                )
            case app.SupplyDocuments():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.documents_supplied(
                        message.documents,
                        today=today,
                        calendar=self.calendar,
                        registration_number=message.registration_number,
                    ),
                )
            case app.WithdrawApplication():
                await self.on_case(message.application_id, envelope, lambda c: c.withdraw(at=now))
            case app.RecordReview():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.officer_decided(
                        message.permit,
                        message.decision,
                        message.officer.sub,
                        message.reason,
                        message.documents,
                        today=today,
                        calendar=self.calendar,
                        respond_days=days,
                    ),
                )
            case idm.IdentityVerified():
                await self.on_case(
                    message.application_id, envelope, lambda c: c.identity_verified(message)
                )
            case idm.IdentityRejected():
                await self.on_case(
                    message.application_id, envelope, lambda c: c.identity_rejected(message, at=now)
                )
            case wp.WorkPermitReserved():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_reserved(
                        "work",
                        message.permit_number,
                        message.valid_until,
                        classification=message.classification,
                        at=now,
                    ),
                )
            case rp.ResidencePermitReserved():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_reserved(
                        "residence", message.permit_number, None, classification=None, at=now
                    ),
                )
            case wp.WorkPermitRefused() | rp.ResidencePermitRefused():
                side: PermitSide = (
                    "work" if isinstance(message, wp.WorkPermitRefused) else "residence"
                )
                classification = getattr(message, "classification", None)
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_refused(
                        side, message.reasons, classification=classification, at=now
                    ),
                )
            case wp.WorkPermitReviewRequired() | rp.ResidencePermitReviewRequired():
                side = "work" if isinstance(message, wp.WorkPermitReviewRequired) else "residence"
                classification = getattr(message, "classification", None)
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_needs_review(
                        side,
                        message.reasons,
                        message.missing_documents,
                        classification=classification,
                        today=today,
                        calendar=self.calendar,
                        respond_days=days,
                    ),
                )
            case wp.WorkPermitIssued() | rp.ResidencePermitIssued():
                side = "work" if isinstance(message, wp.WorkPermitIssued) else "residence"
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_issued(
                        side, message.permit_number, message.valid_until, at=now
                    ),
                )
            case wp.WorkPermitReservationCancelled() | rp.ResidencePermitReservationCancelled():
                side = (
                    "work"
                    if isinstance(message, wp.WorkPermitReservationCancelled)
                    else "residence"
                )
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_cancelled(side, message.permit_number, at=now),
                )
            case wp.WorkPermitIssueRejected() | rp.ResidencePermitIssueRejected():
                side = "work" if isinstance(message, wp.WorkPermitIssueRejected) else "residence"
                log.warning(
                    "a permit could not be issued",
                    extra={
                        "application_id": message.application_id,
                        "side": side,
                        "state": message.state,
                    },
                )
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.issue_failed(side, message.state, at=now),
                )
            case wp.WorkPermitReservationExpired() | rp.ResidencePermitReservationExpired():
                side = (
                    "work" if isinstance(message, wp.WorkPermitReservationExpired) else "residence"
                )
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_lapsed(side, message.permit_number, at=now),
                )
            case wp.WorkPermitRevoked() | rp.ResidencePermitRevoked():
                side = "work" if isinstance(message, wp.WorkPermitRevoked) else "residence"
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_revoked(side, message.permit_number, message.reason, at=now),
                )
            case app.RequestExtension():
                await self._start_extension(message, envelope)
            case wp.WorkPermitExtended():
                await self._on_extension(
                    message.extension_id,
                    envelope,
                    lambda x: x.work_extended(message.permit_number, message.valid_until),
                )
            case rp.ResidencePermitExtended():
                await self._on_extension(
                    message.extension_id,
                    envelope,
                    lambda x: x.residence_extended(
                        message.permit_number, message.valid_until, at=now
                    ),
                )
            case wp.WorkPermitExtensionReverted():
                await self._on_extension(
                    message.extension_id,
                    envelope,
                    lambda x: x.work_reverted(message.valid_until, at=now),
                )
            case wp.WorkPermitExtensionRefused() | rp.ResidencePermitExtensionRefused():
                await self._on_extension(
                    message.extension_id, envelope, lambda x: x.refused(message.reasons, at=now)
                )
            case _:
                pass  # other events on the topics this service reads are not its business

    # --- extensions -------------------------------------------------------------------

    async def _start_extension(self, message: app.RequestExtension, envelope: Envelope) -> None:
        permit = await self.db.permits.find_one({"_id": message.work_permit_number})
        requested = ExtensionRequested(
            extension_id=message.extension_id,
            application_id=permit["application_id"] if permit else None,
            work_permit_number=message.work_permit_number,
            contract_end=message.contract_end,
            requested_by=message.requested_by,
            requested_at=message.requested_at,
        )
        await self._on_extension(message.extension_id, envelope, lambda x: x.start(requested))

    async def on_extension_timer(self, extension_id: str, cause: Envelope, now: datetime) -> None:
        """The extension's timer fired (`Extension.timer_fired` acts only if it is due)."""
        await self._on_extension(extension_id, cause, lambda x: x.timer_fired(now=now))

    async def _on_extension(
        self, extension_id: str, envelope: Envelope, act: Callable[[Extension], Step]
    ) -> None:
        after: list[Extension] = []

        def decide(stream: Stream) -> Decision:
            extension = load_extension(stream)
            extension.now = self.clock.now()
            step = act(extension)
            after[:] = [extension]
            sends = list(step.send)
            closed = next((e for e in step.events if type(e).__name__ == "ExtensionClosed"), None)
            if closed is not None and extension.request is not None:
                sends.append((_extension_decided(extension), "decided"))
            return Decision(events=step.events, outbox=self._outbox(extension_id, envelope, sends))

        if not await handle(self.store, extension_stream(extension_id), envelope.id, decide):
            after[:] = [load_extension(await self.store.load_owned(extension_stream(extension_id)))]
        if after:
            await self._index_extension(extension_id, after[0])

    async def _index_extension(self, extension_id: str, extension: Extension) -> None:
        """The extension index: the timer sweep and operators filter on it (rebuildable).
        Written only when the extension's timer or state moves."""
        timer = extension.next_timer()
        fields = {
            "open": extension.closed is None,
            "timer_due": timer.due.astimezone(UTC) if timer else None,
            "timer_action": timer.action if timer else None,
            "outcome": extension.closed.outcome if extension.closed else None,
        }
        if self._indexed_extensions.get(extension_id) == fields:
            return
        await self.db.extensions.update_one(
            {"_id": extension_id},
            {"$set": {**fields, "updated_at": self.clock.now()}},
            upsert=True,
        )
        self._indexed_extensions[extension_id] = fields
        while len(self._indexed_extensions) > REMEMBERED_CASES:
            self._indexed_extensions.popitem(last=False)


def _extension_decided(extension: Extension) -> app.ExtensionDecided:
    assert extension.request is not None
    assert extension.closed is not None
    return app.ExtensionDecided(
        extension_id=extension.request.extension_id,
        application_id=extension.request.application_id,
        outcome=extension.closed.outcome,
        decided_at=extension.closed.at,
        work_permit=extension.work,
        residence_permit=extension.residence,
        reasons=extension.closed.reasons,
    )
