"""The identity service's event streams, in one place: their names, and the stored events
they hold read back as domain events.

Streams of persons are named by `person_ref`, never by passport number, so no
key, index or log line of the store carries it.
"""

from __future__ import annotations

from onewindow.identity.domain.case import CASE_EVENTS
from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.open_case import OPEN_CASE_EVENTS
from onewindow.identity.domain.registry import REGISTRY_EVENTS
from onewindow.runtime.event_types import EventTypes
from onewindow.runtime.eventstore import StoredEvent, Stream

# Every stored identity event under its stable name (`identity.<Event>.v<n>`).
STORED_EVENTS: EventTypes[DomainEvent] = EventTypes("identity")
STORED_EVENTS.add_all((*REGISTRY_EVENTS, *OPEN_CASE_EVENTS, *CASE_EVENTS))


def employer_stream(uscc: str) -> str:
    return f"employer-{uscc}"


def certificate_stream(certificate_id: str) -> str:
    return f"certificate-{certificate_id}"


def watchlist_stream(person_ref: str) -> str:
    return f"watchlist-{person_ref}"


def open_case_stream(person_ref: str, uscc: str) -> str:
    """The claim of one person on one employer: which case, if any, is open."""
    return f"open-case-{person_ref}-{uscc}"


def case_stream(application_id: str) -> str:
    return f"case-{application_id}"


def history(stream: Stream) -> list[DomainEvent]:
    """Every domain event of a stream, oldest first."""
    return [domain_event(stored) for stored in stream.events]


def domain_event(stored: StoredEvent) -> DomainEvent:
    """The domain event a stored one records (upcast to its current shape)."""
    return STORED_EVENTS.revive(stored.type, stored.data)
