"""The decide-and-allocate step and the reservation projection, on the real event store:
a number is allocated only when a decision reserves, a redelivery changes nothing, and
the open reservations follow the permits so the expiry scan finds the lapsed ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts.envelope import Envelope, new_envelope
from onewindow.contracts.message import Message
from onewindow.permits.numbers import NumberFormat, permit_number
from onewindow.runtime.clock import ManualClock
from onewindow.runtime.eventstore import EventStore

from .support import (
    NOW,
    POLICIES,
    AssessParkingPermit,
    CancelParkingPermitReservation,
    ParkingPermitReserved,
    ParkingPermits,
    publish_parking_events_on_their_topic,
)

pytestmark = pytest.mark.integration


class CountedNumbers:
    """Numbers from a counter, with who had each."""

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    async def allocate(
        self, fmt: NumberFormat, year: int, application_id: str, now: datetime
    ) -> str:
        number = permit_number(fmt, year, len(self.owners) + 1)
        self.owners[number] = application_id
        return number

    async def application_of(self, number: str) -> str | None:
        return self.owners.get(number)


class OpenReservationsInMemory:
    def __init__(self) -> None:
        self.open: dict[str, datetime] = {}

    async def track(self, application_id: str, reserved_until: datetime) -> None:
        self.open[application_id] = reserved_until

    async def forget(self, application_id: str) -> None:
        self.open.pop(application_id, None)

    async def lapsed(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        due = sorted((until, app) for app, until in self.open.items() if until <= now)
        return [(app, until) for until, app in due[:limit]]


@pytest.fixture(scope="module")
def db(module_db: AsyncDatabase[dict[str, Any]]) -> AsyncDatabase[dict[str, Any]]:
    """This module's database in the session's namespace, dropped afterwards."""
    return module_db


@dataclass
class Service:
    permits: ParkingPermits
    numbers: CountedNumbers
    reservations: OpenReservationsInMemory
    clock: ManualClock


@pytest.fixture
async def service(db: AsyncDatabase[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Service:
    publish_parking_events_on_their_topic(monkeypatch)
    clock = ManualClock(NOW)
    store = EventStore(db, collection=f"commits_{uuid.uuid4().hex[:8]}", clock=clock)
    await store.ensure_indexes()
    numbers, reservations = CountedNumbers(), OpenReservationsInMemory()
    permits = ParkingPermits(store, numbers, reservations, POLICIES, clock)
    return Service(permits, numbers, reservations, clock)


def command(message: Message) -> Envelope:
    return new_envelope(message.TYPE, source="test", correlation_id="app-1")


ASSESS = AssessParkingPermit(application_id="app-1")


async def test_a_reserving_decision_gets_one_number_and_is_told_once(service: Service) -> None:
    cause = command(ASSESS)
    assessed = await service.permits.assess(ASSESS, cause)
    assert (assessed.state, assessed.permit_number) == ("reserved", "PP-2026-0001")
    assert service.numbers.owners == {"PP-2026-0001": "app-1"}
    store = service.permits.store
    stream = await store.load("parking-permit-app-1")
    assert [e.type for e in stream.events] == [
        "parking-permit.Assessed.v1",
        "parking-permit.Reserved.v1",
    ]
    told = [entry.type for commit in await store.pending(100) for entry in commit.outbox]
    assert told == [ParkingPermitReserved.TYPE]

    again = await service.permits.assess(ASSESS, cause)
    assert again.permit_number == "PP-2026-0001"
    assert len(service.numbers.owners) == 1


async def test_a_decision_that_reserves_nothing_allocates_nothing(service: Service) -> None:
    refused = AssessParkingPermit(application_id="app-1", licensed=False)
    assert (await service.permits.assess(refused, command(refused))).state == "refused"
    assert service.numbers.owners == {}
    assert service.reservations.open == {}


async def test_open_reservations_follow_the_permits(service: Service) -> None:
    reserved = await service.permits.assess(ASSESS, command(ASSESS))
    assert service.reservations.open == {"app-1": reserved.reserved_until}

    cancel = CancelParkingPermitReservation(application_id="app-1", reason="withdrawn_by_applicant")
    assert (await service.permits.cancel_reservation(cancel, command(cancel))).state == "cancelled"
    assert service.reservations.open == {}


async def test_a_lapsed_reservation_expires_once_however_often_it_is_scanned(
    service: Service,
) -> None:
    await service.permits.assess(ASSESS, command(ASSESS))
    service.clock.advance(timedelta(days=30))

    assert await service.permits.expire_lapsed_reservations() == 1
    assert await service.permits.expire_lapsed_reservations() == 0
    stream = await service.permits.store.load("parking-permit-app-1")
    assert stream.events[-1].type == "permit.ReservationExpired.v1"
    assert service.reservations.open == {}


async def test_a_decision_on_another_stream_keeps_no_reservation(service: Service) -> None:
    permit = await service.permits.decide(
        "app-1",
        command(ASSESS),
        lambda p, number: p.assess(ASSESS, POLICIES, NOW, number),
        stream="parking-permit-elsewhere",
    )
    assert permit.state == "reserved"
    assert service.reservations.open == {}
