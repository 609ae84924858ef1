"""The residence-permit use cases: each loads the permit's stream, lets the domain decide,
and appends the decision with its outgoing messages in one commit (via `handle`).

Stream: `residence-permit-<application id>` per permit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.v1 import residence_permit as bus
from onewindow.residence_permit.application.mapping import SOURCE, outbox
from onewindow.residence_permit.application.ports import OpenReservations, PermitNumbers
from onewindow.residence_permit.domain.errors import PermitNumberNeeded
from onewindow.residence_permit.domain.events import DomainEvent, revive
from onewindow.residence_permit.domain.permit import ResidencePermit
from onewindow.residence_permit.domain.policy import PolicyBook
from onewindow.runtime.clock import Clock, local_today
from onewindow.runtime.eventstore import EventStore, Stream
from onewindow.runtime.handling import Decision, handle

# The type named by the envelope that stands for the expiry timer as a cause.
EXPIRY_TIMER_TYPE = "onewindow.residence-permit.ReservationExpiryDue"

Decide = Callable[[ResidencePermit, str | None], list[DomainEvent]]


def stream_of(application_id: str) -> str:
    """The stream holding the residence permit of an application."""
    return f"residence-permit-{application_id}"


def rebuild(application_id: str, stream: Stream) -> ResidencePermit:
    """The permit as its stored events leave it."""
    return ResidencePermit.replay(application_id, (revive(e.type, e.data) for e in stream.events))


@dataclass
class ResidencePermits:
    """The residence-permit service's use cases. Every one is idempotent per message id."""

    store: EventStore
    numbers: PermitNumbers
    reservations: OpenReservations
    policies: PolicyBook
    clock: Clock

    async def assess(self, command: bus.AssessResidencePermit, cause: Envelope) -> ResidencePermit:
        """Answer with `ResidencePermitReserved`, `…Refused` or `…ReviewRequired`."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, number: permit.assess(command, self.policies, now, number),
        )

    async def issue(self, command: bus.IssueResidencePermit, cause: Envelope) -> ResidencePermit:
        """Answer with `ResidencePermitIssued`, or `…IssueRejected` (nothing changes)."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, _: permit.issue(
                command.work_permit_number, command.work_permit_valid_until, now
            ),
        )

    async def cancel_reservation(
        self, command: bus.CancelResidencePermitReservation, cause: Envelope
    ) -> ResidencePermit:
        """Answer with `ResidencePermitReservationCancelled` (released) or, for an issued permit,
        `ResidencePermitRevoked`; a repeat is answered the same way."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, _: permit.cancel_reservation(command.reason, now),
        )

    async def renew_reservation(
        self, command: bus.RenewResidencePermitReservation, cause: Envelope
    ) -> ResidencePermit:
        """Answer with `ResidencePermitReserved` (the same number, reserved anew), or
        `ResidencePermitIssueRejected` when there is nothing to renew."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, _: permit.renew_reservation(self.policies, now),
        )

    async def record_officer_decision(
        self, command: bus.RecordResidencePermitOfficerDecision, cause: Envelope
    ) -> ResidencePermit:
        """Approval answers `ResidencePermitReserved`, refusal `ResidencePermitRefused`."""
        now = self.clock.now()
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, number: permit.record_officer_decision(
                command.decision, command.officer, command.reason, self.policies, now, number
            ),
        )

    async def extend(self, command: bus.ExtendResidencePermit, cause: Envelope) -> ResidencePermit:
        """Answer with `ResidencePermitExtended` or `…ExtensionRefused` (keyed by extension id)."""
        return await self._decide(
            command.application_id,
            cause,
            lambda permit, _: permit.extend(command.extension_id, command.work_permit_valid_until),
        )

    async def expire_lapsed_reservations(self, limit: int = 100) -> int:
        """Let every reservation whose period has passed lapse; return how many were looked at.

        Each lapse is caused by a timer whose id derives from the permit and the moment it
        lapses, so a repeated scan (or a second scheduler) changes nothing twice.
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

    async def _decide(
        self, application_id: str, cause: Envelope, decide: Decide
    ) -> ResidencePermit:
        """Handle `cause` once on the permit's stream, allocating a number if the decision
        reserves one; then bring the open-reservation projection in line."""
        name = stream_of(application_id)
        number: str | None = None
        decided: list[ResidencePermit] = []

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
                now, today = self.clock.now(), local_today(self.clock)
                fmt = self.policies.in_force_on(today).permit_number
                number = await self.numbers.allocate(fmt, today.year, application_id, now)
                continue
            break
        permit = decided[-1] if handled else rebuild(application_id, await self.store.load(name))
        await self._project_reservation(permit)
        return permit

    async def _project_reservation(self, permit: ResidencePermit) -> None:
        # Also run after a redelivery, so a crash between commit and projection heals.
        if permit.state == "reserved" and permit.reserved_until is not None:
            await self.reservations.track(permit.application_id, permit.reserved_until)
        else:
            await self.reservations.forget(permit.application_id)
