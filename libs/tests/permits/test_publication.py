"""Stored events to integration events, paired by name: what the rest of the system hears."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onewindow.contracts.envelope import new_envelope
from onewindow.contracts.message import Event
from onewindow.contracts.v1.common import Reason
from onewindow.permits.events import (
    DomainEvent,
    OfficerDecisionRecorded,
    Refused,
    ReservationCancelled,
)
from onewindow.permits.service import UnpublishedEvent, counterparts

from .support import (
    NUMBER,
    PARKING_PERMIT,
    Assessed,
    AssessParkingPermit,
    Extended,
    ExtensionRefused,
    ParkingPermitEvent,
    ParkingPermitExtended,
    ParkingPermitRefused,
    ParkingPermitReservationCancelled,
    ParkingPermitReserved,
    Reserved,
    publish_parking_events_on_their_topic,
    replayed,
)

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ASSESSED = Assessed(
    application_id="app-1",
    person_ref="p-1",
    application_date=date(2026, 3, 2),
    passport_expires_on=date(2033, 10, 31),
    bay="B7",
)
RESERVED = Reserved(permit_number=NUMBER, reserved_until=AT, bay="B9")


def test_each_stored_event_is_published_as_the_integration_event_of_its_name() -> None:
    paired = counterparts(PARKING_PERMIT.stored.types, ParkingPermitEvent)
    assert paired[Reserved] is ParkingPermitReserved
    assert paired[ReservationCancelled] is ParkingPermitReservationCancelled
    assert Assessed not in paired
    assert OfficerDecisionRecorded not in paired


def test_a_stored_event_without_a_counterpart_is_an_error_at_start() -> None:
    class Misplaced(DomainEvent):
        pass

    with pytest.raises(UnpublishedEvent, match="ParkingPermitMisplaced"):
        counterparts([Misplaced], ParkingPermitEvent)


def test_an_integration_event_carries_the_stored_fields_it_declares_and_the_application() -> None:
    permit = replayed(ASSESSED, RESERVED)
    told = PARKING_PERMIT.publication.integration_event(permit, RESERVED)
    # The stored event's own `bay` wins over what the service tells of the permit.
    assert told == ParkingPermitReserved(
        application_id="app-1", permit_number=NUMBER, reserved_until=AT, bay="B9"
    )


def test_what_the_stored_event_lacks_the_service_tells() -> None:
    permit = replayed(ASSESSED)
    refused = Refused(reasons=(Reason(code="not_eligible_category"),))
    told = PARKING_PERMIT.publication.integration_event(permit, refused)
    assert told == ParkingPermitRefused(application_id="app-1", reasons=refused.reasons, bay="B7")


def test_the_assessed_facts_and_the_officers_record_stay_inside() -> None:
    recorded = OfficerDecisionRecorded(decision="approve", officer="olga", recorded_at=AT)
    publication = PARKING_PERMIT.publication
    assert publication.integration_event(replayed(), ASSESSED) is None
    assert publication.integration_event(replayed(), recorded) is None


def test_messages_are_keyed_by_application_or_by_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    publish_parking_events_on_their_topic(monkeypatch)
    publication = PARKING_PERMIT.publication
    extended = Extended(
        extension_id="ext-1",
        permit_number=NUMBER,
        previous_valid_until=date(2027, 3, 2),
        valid_until=date(2028, 3, 1),
    )
    cause = new_envelope(AssessParkingPermit.TYPE, source="test", correlation_id="app-1")
    out = publication.outbox(
        replayed(ASSESSED, RESERVED),
        [ASSESSED, RESERVED, extended, ExtensionRefused(extension_id="ext-2", reasons=())],
        cause,
        "onewindow/parking-permit",
    )
    assert [o.key for o in out] == ["app-1", "ext-1", "ext-2"]
    assert isinstance(out[1].message, Event)
    assert out[1].message == ParkingPermitExtended(
        extension_id="ext-1", application_id="app-1", valid_until=date(2028, 3, 1)
    )
