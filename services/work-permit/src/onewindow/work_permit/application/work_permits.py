"""The work-permit use cases: each loads the permit's stream, lets the domain decide,
and appends the decision with its outgoing messages in one commit (via `handle`).

Streams: `work-permit-<application id>` per permit; an extension that names no known
permit is answered from `work-permit-extension-<extension id>`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.v1 import work_permit as bus
from onewindow.runtime.clock import Clock, local_today
from onewindow.runtime.eventstore import EventStore, Stream
from onewindow.runtime.handling import Decision, handle
from onewindow.work_permit.application.mapping import SOURCE, outbox
from onewindow.work_permit.application.ports import OpenReservations, PermitNumbers
from onewindow.work_permit.domain.errors import PermitNumberNeeded
from onewindow.work_permit.domain.events import DomainEvent, revive
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import PolicyBook

log = logging.getLogger(__name__)

# The type named by the envelope that stands for the expiry timer as a cause.
EXPIRY_TIMER_TYPE = "onewindow.work-permit.ReservationExpiryDue"

Decide = Callable[[WorkPermit, str | None], list[DomainEvent]]


def stream_of(application_id: str) -> str:
    """The stream holding the work permit of an application."""
    return f"work-permit-{application_id}"


def extension_stream_of(extension_id: str) -> str:
    """The stream answering an extension for a permit number no one holds."""
    return f"work-permit-extension-{extension_id}"


def rebuild(application_id: str, stream: Stream) -> WorkPermit:
    """The permit as its stored events leave it."""
    return WorkPermit.replay(application_id, (revive(e.type, e.data) for e in stream.events))


@dataclass
class WorkPermits:
    """The work-permit service's use cases. Every one is idempotent per message id."""

    store: EventStore
    numbers: PermitNumbers
    reservations: OpenReservations
    policies: PolicyBook
    clock: Clock

    async def assess(self, command: bus.AssessWorkPermit, cause: Envelope) -> WorkPermit:
        """Answer with `WorkPermitReserved`, `WorkPermitRefused` or `WorkPermitReviewRequired`."""
        now, today = self._moment()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, number: permit.assess(command, self.policies, now, today, number),
        )

    async def issue(self, command: bus.IssueWorkPermit, cause: Envelope) -> WorkPermit:
        """Answer with `WorkPermitIssued`, or `WorkPermitIssueRejected` (nothing changes)."""
        now = self.clock.now()
        return await self._decide(
            command.application_id, cause, lambda permit, _: permit.issue(now)
        )

    async def cancel_reservation(
        self, command: bus.CancelWorkPermitReservation, cause: Envelope
    ) -> WorkPermit:
        """Answer with `WorkPermitReservationCancelled` (released) or, for an issued permit,
        `WorkPermitRevoked`; a repeat is answered the same way."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, _: permit.cancel_reservation(command.reason, now),
        )

    async def renew_reservation(
        self, command: bus.RenewWorkPermitReservation, cause: Envelope
    ) -> WorkPermit:
        """Answer with `WorkPermitReserved` (the same number, reserved anew), or
        `WorkPermitIssueRejected` when there is nothing to renew."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, _: permit.renew_reservation(self.policies, now),
        )

    async def record_officer_decision(
        self, command: bus.RecordWorkPermitOfficerDecision, cause: Envelope
    ) -> WorkPermit:
        """Approval answers `WorkPermitReserved`, refusal `WorkPermitRefused`."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, number: permit.record_officer_decision(
                command.decision, command.officer, command.reason, self.policies, now, number
            ),
        )

    async def extend(self, command: bus.ExtendWorkPermit, cause: Envelope) -> WorkPermit:
        """Answer with `WorkPermitExtended` or `WorkPermitExtensionRefused` (keyed by the
        extension id)."""
        application_id = await self.numbers.application_of(command.permit_number)

        def decide(permit: WorkPermit, _: str | None) -> list[DomainEvent]:
            return permit.extend(
                command.extension_id,
                command.permit_number,
                command.contract_end,
                command.requested_on,
                self.policies,
            )

        if application_id is None:
            return await self._decide(
                "", cause, decide, stream=extension_stream_of(command.extension_id)
            )
        return await self._decide(application_id, cause, decide)

    async def revert_extension(
        self, command: bus.RevertWorkPermitExtension, cause: Envelope
    ) -> WorkPermit:
        """Answer with `WorkPermitExtensionReverted` (keyed by the extension id)."""
        application_id = await self.numbers.application_of(command.permit_number)
        return await self._decide(
            application_id or "",
            cause,
            lambda permit, _: permit.revert_extension(
                command.extension_id, command.permit_number, command.reason
            ),
            stream=None if application_id else extension_stream_of(command.extension_id),
        )

    async def expire_lapsed_reservations(self, limit: int = 100) -> int:
        """Let every reservation whose period has passed lapse; return how many were looked at.

        Each lapse is caused by a timer whose id derives from the permit and the moment
        it lapses, so a repeated scan (or a second scheduler) changes nothing twice.
        """
        now = self.clock.now()
        due = await self.reservations.lapsed(now, limit)
        for application_id, reserved_until in due:
            timer = Envelope(
                id=deterministic_id(
                    stream_of(application_id), f"reservation-expiry@{reserved_until.isoformat()}"
                ),
                source=SOURCE,
                type=EXPIRY_TIMER_TYPE,
                time=now,
                correlation_id=application_id,
            )
            await self._decide(
                application_id, timer, lambda permit, _: permit.expire_reservation(now)
            )
        return len(due)

    def _moment(self) -> tuple[datetime, date]:
        return self.clock.now(), local_today(self.clock)

    async def _decide(
        self, application_id: str, cause: Envelope, decide: Decide, *, stream: str | None = None
    ) -> WorkPermit:
        """Handle `cause` once on the permit's stream, allocating a number if the decision
        reserves one; then bring the open-reservation projection in line."""
        name = stream or stream_of(application_id)
        number: str | None = None
        decided: list[WorkPermit] = []

        def decision(current: Stream) -> Decision:
            permit = rebuild(application_id, current)
            events = decide(permit, number)
            for event in events:
                permit.apply(event)
            decided.append(permit)
            return Decision(events=events, outbox=outbox(permit, events, cause))

        while True:
            try:
                handled = await handle(self.store, name, cause.id, decision)
            except PermitNumberNeeded:
                # Allocated outside the decision (it is I/O); if a concurrent writer
                # reserved first, this number is burned, never reused.
                now, today = self._moment()
                fmt = self.policies.in_force_on(today).permit_number
                number = await self.numbers.allocate(fmt, today.year, application_id, now)
                continue
            break
        permit = decided[-1] if handled else rebuild(application_id, await self.store.load(name))
        if stream is None:
            await self._project_reservation(permit)
        return permit

    async def _project_reservation(self, permit: WorkPermit) -> None:
        # Also run after a redelivery, so a crash between commit and projection heals.
        if permit.state == "reserved" and permit.reserved_until is not None:
            await self.reservations.track(permit.application_id, permit.reserved_until)
        else:
            await self.reservations.forget(permit.application_id)
