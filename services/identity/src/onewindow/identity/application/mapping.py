"""Stored domain events to and from the store, and to the integration events on the bus.

The one place where the service's own history meets the contracts of v1.
"""

from __future__ import annotations

from onewindow.contracts.v1.identity import CaseClosed, IdentityRejected, IdentityVerified
from onewindow.identity.domain.case import CASE_EVENTS, CaseEnded, CaseRejected, CaseVerified
from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.open_case import OPEN_CASE_EVENTS
from onewindow.identity.domain.registry import REGISTRY_EVENTS
from onewindow.runtime.event_types import EventTypes, UnknownEventType
from onewindow.runtime.eventstore import StoredEvent, Stream

# Every stored identity event under its stable name (`identity.<Event>.v<n>`).
STORED_EVENTS: EventTypes[DomainEvent] = EventTypes("identity")
STORED_EVENTS.add_all((*REGISTRY_EVENTS, *OPEN_CASE_EVENTS, *CASE_EVENTS))
UnknownStoredEvent = UnknownEventType  # a stored event type this version does not know


def domain_event(stored: StoredEvent) -> DomainEvent:
    """The domain event a stored one records (upcast to its current shape)."""
    return STORED_EVENTS.revive(stored.type, stored.data)


def history(stream: Stream) -> list[DomainEvent]:
    """Every domain event of a stream, oldest first."""
    return [domain_event(stored) for stored in stream.events]


def identity_verified(event: CaseVerified) -> IdentityVerified:
    return IdentityVerified(
        application_id=event.application_id,
        person_ref=event.person_ref,
        employer=event.employer,
        documents=event.documents,
        flags=event.flags,
    )


def identity_rejected(event: CaseRejected) -> IdentityRejected:
    return IdentityRejected(
        application_id=event.application_id,
        person_ref=event.person_ref,
        reasons=event.reasons,
        duplicate_of=event.duplicate_of,
    )


def case_closed(event: CaseEnded, person_ref: str | None) -> CaseClosed:
    """`person_ref` is empty for a case identity never verified (closed before it arrived)."""
    return CaseClosed(application_id=event.application_id, person_ref=person_ref or "")
