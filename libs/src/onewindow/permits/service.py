"""The use cases every permit service has, and the step they all take: load the permit's
stream, let the domain decide, allocate a number when the decision reserves one, append
the decision with its outgoing messages in one commit (via `handle`), then bring the
open-reservation projection in line.

Streams: `<service>-<application id>` per permit (`work-permit-app-1`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Literal, Protocol, TypeVar

from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.message import Command, Event
from onewindow.contracts.v1.common import ReasonCode
from onewindow.permits.events import DomainEvent, PermitEvents
from onewindow.permits.permit import Permit, PermitNumberNeeded
from onewindow.permits.policy import PolicyBook, PolicyT
from onewindow.permits.ports import OpenReservations, PermitNumbers
from onewindow.permits.publication import Publication, Told, nothing_more
from onewindow.runtime.clock import Clock, local_today
from onewindow.runtime.eventstore import EventStore, Stream
from onewindow.runtime.handling import Decision, handle

PermitT = TypeVar("PermitT", bound=Permit[Any, Any])
# A decision on the permit, given a freshly allocated number once it has asked for one.
Decide = Callable[[PermitT, str | None], list[DomainEvent]]


@dataclass(frozen=True)
class PermitKind(Generic[PermitT]):
    """Which permit a service keeps: its aggregate, its stored events, and its bus
    vocabulary (the base classes of its commands and of its integration events, whose
    members the kernel pairs with use cases and stored events by name)."""

    aggregate: type[PermitT]
    stored: PermitEvents
    commands: type[Command]
    published: type[Event]
    told: Told[PermitT] = nothing_more

    def __post_init__(self) -> None:
        for vocabulary in (self.commands, self.published):
            if self.stored.context != vocabulary.CONTEXT:
                raise ValueError(f"{vocabulary.__name__} is not of {self.stored.context}")

    @property
    def name(self) -> str:
        """The service's name: `work-permit`."""
        return self.stored.context

    @property
    def source(self) -> str:
        """The CloudEvents source of everything the service publishes."""
        return f"onewindow/{self.name}"

    @cached_property
    def publication(self) -> Publication[PermitT]:
        return Publication(self.stored.types, self.published, self.told)

    def stream_of(self, application_id: str) -> str:
        """The stream holding the permit of an application."""
        return f"{self.name}-{application_id}"

    def rebuild(self, application_id: str, stream: Stream) -> PermitT:
        """The permit as its stored events leave it."""
        events = (self.stored.revive(e.type, e.data) for e in stream.events)
        return self.aggregate.replay(application_id, events)


class PermitCommand(Protocol):
    @property
    def application_id(self) -> str: ...


class CancelReservation(PermitCommand, Protocol):
    @property
    def reason(self) -> ReasonCode: ...


class OfficerDecision(PermitCommand, Protocol):
    @property
    def decision(self) -> Literal["approve", "refuse"]: ...

    @property
    def officer(self) -> str: ...

    @property
    def reason(self) -> str: ...


@dataclass
class PermitService(ABC, Generic[PermitT, PolicyT]):
    """A permit service's use cases. Every one is idempotent per message id; a service
    adds its own (assessment, issue, extension) beside these."""

    store: EventStore
    numbers: PermitNumbers
    reservations: OpenReservations
    policies: PolicyBook[PolicyT]
    clock: Clock

    @property
    @abstractmethod
    def kind(self) -> PermitKind[PermitT]:
        """Which permit this service keeps."""

    async def cancel_reservation(self, command: CancelReservation, cause: Envelope) -> PermitT:
        """Answer with `…ReservationCancelled` (released) or, for an issued permit,
        `…Revoked`; a repeat is answered the same way."""
        now = self.clock.now()
        return await self.decide(
            command.application_id,
            cause,
            lambda permit, _: permit.cancel_reservation(command.reason, now),
        )

    async def renew_reservation(self, command: PermitCommand, cause: Envelope) -> PermitT:
        """Answer with `…Reserved` (the same number, reserved anew), or `…IssueRejected`
        when there is nothing to renew."""
        now = self.clock.now()
        return await self.decide(
            command.application_id,
            cause,
            lambda permit, _: permit.renew_reservation(self.policies, now),
        )

    async def record_officer_decision(self, command: OfficerDecision, cause: Envelope) -> PermitT:
        """Approval answers `…Reserved`, refusal `…Refused`."""
        now = self.clock.now()
        return await self.decide(
            command.application_id,
            cause,
            lambda permit, number: permit.record_officer_decision(
                command.decision, command.officer, command.reason, self.policies, now, number
            ),
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
                    self.kind.stream_of(application_id),
                    f"reservation-expiry@{reserved_until.isoformat()}",
                ),
                source=self.kind.source,
                type=f"onewindow.{self.kind.name}.ReservationExpiryDue",
                time=now,
                correlation_id=application_id,
            )
            await self.decide(
                application_id, timer, lambda permit, _: permit.expire_reservation(now)
            )
        return len(due)

    async def decide(
        self, application_id: str, cause: Envelope, decide: Decide[PermitT], *, stream: str = ""
    ) -> PermitT:
        """Handle `cause` once on the permit's stream (or on `stream`, which then keeps no
        reservation), allocating a number if the decision reserves one; then bring the
        open-reservation projection in line."""
        kind = self.kind
        number: str | None = None  # allocated once, kept across conflicts

        async def decision(permit: PermitT) -> Decision:
            nonlocal number
            try:
                events = decide(permit, number)
            except PermitNumberNeeded:
                # Allocated outside the domain (it is I/O); if a concurrent writer
                # reserved first, this number is burned, never reused.
                now, today = self.clock.now(), local_today(self.clock)
                fmt = self.policies.in_force_on(today).permit_number
                number = await self.numbers.allocate(fmt, today.year, application_id, now)
                events = decide(permit, number)
            for event in events:
                permit.apply(event)
            outbox = kind.publication.outbox(permit, events, cause, kind.source)
            return Decision(events=events, outbox=outbox)

        handled = await handle(
            self.store,
            stream or kind.stream_of(application_id),
            cause.id,
            lambda current: kind.rebuild(application_id, current),
            decision,
        )
        if not stream:
            await self._project_reservation(handled.state)
        return handled.state

    async def _project_reservation(self, permit: PermitT) -> None:
        # Also run after a redelivery, so a crash between commit and projection heals.
        if permit.state == "reserved" and permit.reserved_until is not None:
            await self.reservations.track(permit.application_id, permit.reserved_until)
        else:
            await self.reservations.forget(permit.application_id)
