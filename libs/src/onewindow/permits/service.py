"""A permit service's kernel, one command at a time: the subscription to its command
topic, the use cases every permit service has and the step they all take, and the
publication of what the step decided.

Subscription. `<service>.commands` is consumed as the group `<service>`
(`work-permit.commands`, as `work-permit`), and each command goes to the use case named
for it: `CancelWorkPermitReservation` (a `WorkPermitCommand`) goes to
`cancel_reservation`, the command's name without the permit's, in snake case. A command of
the service's vocabulary without a use case is an error when the service starts. The
assessment (`AssessWorkPermit`, to `assess`) is every service's, decided as the service's
`assessment` says, which its preview (`onewindow.permits.preview`) runs too.

Ack policy (the runtime's, stated here because it is this subscriber's): a record is
acknowledged only after its decision is committed; a handler that keeps failing is
retried, then set aside on `<service>.commands.dlq`.

Step. Load the permit's stream, let the domain decide, allocate a number when the decision
reserves one, append the decision with its outgoing messages in one commit (via
`handle`), then bring the open-reservation projection in line. Streams:
`<service>-<application id>` per permit (`work-permit-app-1`).

Publication. The one place a permit's stored domain events become integration events on
its topic, paired by name: stored `Reserved` is published as `WorkPermitReserved` (the
service's integration event base is `WorkPermitEvent`), carrying the fields that event
declares, each taken from the stored event or else from what the service adds (the
application id always). The assessed facts and the officer's record stay inside; any
other stored event without a counterpart is an error when the service starts, so an event
is never silently left unpublished.
"""

from __future__ import annotations

import logging
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Literal, Protocol, TypeVar

from faststream.kafka import KafkaBroker

from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.message import Command, Event, Message
from onewindow.contracts.v1.common import ReasonCode
from onewindow.permits.events import Assessed, DomainEvent, OfficerDecisionRecorded, PermitEvents
from onewindow.permits.permit import Permit, PermitNumberNeeded
from onewindow.permits.policy import PolicyBook, PolicyT
from onewindow.permits.ports import OpenReservations, PermitNumbers
from onewindow.runtime.clock import Clock, local_today
from onewindow.runtime.eventstore import EventStore, Outgoing, Stream, outgoing
from onewindow.runtime.handling import Decision, handle
from onewindow.runtime.subscriber import subscribe

log = logging.getLogger(__name__)

PermitT = TypeVar("PermitT", bound=Permit[Any, Any])
UseCase = Callable[[Any, Envelope], Awaitable[object]]
# A decision on the permit, given a freshly allocated number once it has asked for one: it
# records its events on the permit (the aggregate convention) and returns them.
Decide = Callable[[PermitT, str | None], list[DomainEvent]]
# What a service adds to its integration events from the permit that produced them.
Told = Callable[[PermitT, DomainEvent], Mapping[str, object]]


def subscribe_commands(
    broker: KafkaBroker, permits: PermitService[Any, Any], topic_prefix: str
) -> None:
    """Consume `<service>.commands` as the group `<service>`."""
    kind, routes = permits.kind, use_cases(permits)

    async def on_command(message: Message, envelope: Envelope) -> None:
        use_case = routes.get(type(message))
        if use_case is None:
            log.warning("not a %s command; ignored", kind.name, extra={"type": envelope.type})
            return
        await use_case(message, envelope)

    subscribe(
        broker,
        topic=f"{kind.name}.commands",
        group_id=kind.name,
        handler=on_command,
        topic_prefix=topic_prefix,
        source=kind.source,
    )


def use_cases(permits: PermitService[Any, Any]) -> dict[type[Message], UseCase]:
    """Every command of the service's vocabulary with the use case that answers it."""
    vocabulary = permits.kind.commands
    permit = vocabulary.__name__.removesuffix("Command")
    routes: dict[type[Message], UseCase] = {}
    for command in vars(sys.modules[vocabulary.__module__]).values():
        if not isinstance(command, type) or not issubclass(command, vocabulary):
            continue
        if command is vocabulary:
            continue  # the base of them all
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__.replace(permit, "", 1)).lower()
        use_case = getattr(permits, name, None)
        if not callable(use_case):
            raise MissingUseCase(f"{command.__name__} needs {type(permits).__name__}.{name}")
        routes[command] = use_case
    return routes


class MissingUseCase(LookupError):
    """A command of the service's vocabulary has no use case of its name."""


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

    @abstractmethod
    def assessment(self, command: Any) -> Decide[PermitT]:
        """The decision an assessment of `command` (the service's `kind.assessment`) takes
        now, for `assess` and its preview alike."""

    async def assess(self, command: PermitCommand, cause: Envelope) -> PermitT:
        """Answer with `…Reserved`, `…Refused` or `…ReviewRequired`."""
        # The assessment opens the permit's stream (a redelivery costs a conflict): the
        # number it may allocate is kept across the retry, burned if already assessed.
        return await self.decide(
            command.application_id, cause, self.assessment(command), opens=True
        )

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
        self,
        application_id: str,
        cause: Envelope,
        decide: Decide[PermitT],
        *,
        stream: str = "",
        opens: bool = False,
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
                # reserved first, this number is burned, never reused. The decision
                # recorded nothing before it asked, so it is taken again on this permit.
                now, today = self.clock.now(), local_today(self.clock)
                fmt = self.policies.in_force_on(today).permit_number
                number = await self.numbers.allocate(fmt, today.year, application_id, now)
                events = decide(permit, number)
            outbox = kind.publication.outbox(permit, events, cause, kind.source)
            return Decision(events=events, outbox=outbox)

        handled = await handle(
            self.store,
            stream or kind.stream_of(application_id),
            cause.id,
            lambda current: kind.rebuild(application_id, current),
            decision,
            opens=opens,
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


def nothing_more(permit: object, event: DomainEvent) -> Mapping[str, object]:
    """For a service whose integration events carry only what their stored events say."""
    return {}


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
    def assessment(self) -> type[Command]:
        """The assessment command of the vocabulary: `Assess<Permit>` (`AssessWorkPermit`)."""
        name = "Assess" + self.commands.__name__.removesuffix("Command")
        command = vars(sys.modules[self.commands.__module__]).get(name)
        if not (isinstance(command, type) and issubclass(command, self.commands)):
            raise LookupError(f"{self.commands.__module__} has no {name}")
        return command

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


# Stored events no one outside the permit service hears of.
INTERNAL: tuple[type[DomainEvent], ...] = (Assessed, OfficerDecisionRecorded)


class Publication(Generic[PermitT]):
    """How one permit service tells the rest of the system what its permits did."""

    def __init__(
        self,
        stored: Iterable[type[DomainEvent]],
        published: type[Event],
        told: Told[PermitT] = nothing_more,
    ) -> None:
        self._counterparts = counterparts(stored, published)
        self._told = told

    def integration_event(self, permit: PermitT, event: DomainEvent) -> Event | None:
        """What the rest of the system hears of `event`, given the permit it produced;
        None for events that stay inside."""
        counterpart = self._counterparts.get(type(event))
        if counterpart is None:
            return None
        fields = {
            **self._told(permit, event),
            "application_id": permit.application_id,
            **{name: getattr(event, name) for name in type(event).model_fields},
        }
        declared = counterpart.model_fields
        return counterpart.model_validate({k: v for k, v in fields.items() if k in declared})

    def outbox(
        self, permit: PermitT, events: Sequence[DomainEvent], cause: Envelope, source: str
    ) -> list[Outgoing]:
        """The messages to publish for `events`, keyed by application id (by extension id
        for extensions, as the topic registry says), with ids derived from the cause."""
        found: list[Outgoing] = []
        for event in events:
            message = self.integration_event(permit, event)
            if message is None:
                continue
            extension_id = getattr(message, "extension_id", None)
            found.append(
                outgoing(
                    message,
                    key=extension_id or permit.application_id,
                    correlation_id=cause.correlation_id,
                    source=source,
                    cause=cause,
                )
            )
        return found


def counterparts(
    stored: Iterable[type[DomainEvent]], published: type[Event]
) -> dict[type[DomainEvent], type[Event]]:
    """Each stored event type paired with the integration event of its name in the module
    that declares `published` (`WorkPermitEvent` → `WorkPermit<Name>`)."""
    module = vars(sys.modules[published.__module__])
    prefix = published.__name__.removesuffix("Event")
    found: dict[type[DomainEvent], type[Event]] = {}
    for event in stored:
        counterpart = module.get(prefix + event.__name__)
        if isinstance(counterpart, type) and issubclass(counterpart, published):
            found[event] = counterpart
        elif not issubclass(event, INTERNAL):
            raise UnpublishedEvent(f"{event.__name__} has no {prefix}{event.__name__}")
    return found


class UnpublishedEvent(LookupError):
    """A stored event has no integration event of its name and is not internal."""
