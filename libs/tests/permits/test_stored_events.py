"""A permit's stored events: its own under its service's name, the lifecycle under the
kernel's, and streams written before stable names still read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onewindow.permits.events import Refused, ReservationExpired
from onewindow.runtime.event_types import UnknownEventType, stored_name

from .support import NUMBER, PARKING_EVENTS, Reserved

RESERVED = Reserved(permit_number=NUMBER, reserved_until=datetime(2026, 4, 1, tzinfo=UTC), bay="B7")
EXPIRED = ReservationExpired(permit_number=NUMBER, expired_at=datetime(2026, 4, 1, tzinfo=UTC))


def test_a_services_own_event_is_stored_under_the_services_name() -> None:
    assert stored_name(RESERVED) == "parking-permit.Reserved.v1"


def test_a_lifecycle_event_is_stored_under_the_kernels_name() -> None:
    assert stored_name(EXPIRED) == "permit.ReservationExpired.v1"


@pytest.mark.parametrize(
    ("type_name", "event"),
    [
        pytest.param("parking-permit.Reserved.v1", RESERVED, id="the service's own"),
        pytest.param("permit.ReservationExpired.v1", EXPIRED, id="the lifecycle's"),
        pytest.param("Reserved", RESERVED, id="a bare name written before stable names"),
        pytest.param("ReservationExpired", EXPIRED, id="a bare lifecycle name"),
    ],
)
def test_every_stored_event_reads_back(type_name: str, event: object) -> None:
    data = event.model_dump(mode="json")  # type: ignore[attr-defined]
    assert PARKING_EVENTS.revive(type_name, data) == event


@pytest.mark.parametrize(
    "type_name", ["work-permit.Reserved.v1", "parking-permit.Reserved.v2", "Unheard"]
)
def test_an_event_this_code_does_not_know_is_an_error(type_name: str) -> None:
    with pytest.raises(UnknownEventType):
        PARKING_EVENTS.revive(type_name, {})


def test_the_registry_lists_the_services_events_and_the_lifecycle() -> None:
    assert Reserved in PARKING_EVENTS.types
    assert Refused in PARKING_EVENTS.types
