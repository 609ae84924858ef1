"""The one place a permit's stored domain events become integration events on its topic.

The pairing is by name: stored `Reserved` is published as `WorkPermitReserved` (the
service's integration event base is `WorkPermitEvent`), carrying the fields that event
declares, each taken from the stored event or else from what the service adds (the
application id always). The assessed facts and the officer's record stay inside; any
other stored event without a counterpart is an error when the service starts, so an event
is never silently left unpublished.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Event
from onewindow.permits.events import Assessed, DomainEvent, OfficerDecisionRecorded
from onewindow.permits.permit import Permit
from onewindow.runtime.eventstore import Outgoing, outgoing

# Stored events no one outside the permit service hears of.
INTERNAL: tuple[type[DomainEvent], ...] = (Assessed, OfficerDecisionRecorded)

PermitT = TypeVar("PermitT", bound=Permit[Any, Any])
Told = Callable[[PermitT, DomainEvent], Mapping[str, object]]


class UnpublishedEvent(LookupError):
    """A stored event has no integration event of its name and is not internal."""


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


def nothing_more(permit: object, event: DomainEvent) -> Mapping[str, object]:
    """For a service whose integration events carry only what their stored events say."""
    return {}


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
