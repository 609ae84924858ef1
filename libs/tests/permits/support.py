"""A permit of the tests' own, as small as a permit service's can be: a parking permit
whose assessment refuses an unlicensed driver and sends a driver without a photo to
review, and whose bus vocabulary (`ParkingPermitCommand`, `ParkingPermitEvent`) lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest

from onewindow.contracts import catalog
from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Command, Event
from onewindow.contracts.topics import Topic
from onewindow.contracts.v1.common import Reason, ReasonCode
from onewindow.permits import events as permit
from onewindow.permits.events import DomainEvent, PermitEvents
from onewindow.permits.permit import ASSESSABLE, Permit
from onewindow.permits.policy import PolicyBook
from onewindow.permits.reasons import Articles, Reasons
from onewindow.permits.service import Decide, PermitKind, PermitService

NOW = datetime(2026, 3, 2, 2, 0, 0, 123456, tzinfo=UTC)
NUMBER = "PP-2026-0001"


@dataclass(frozen=True)
class Format:
    prefix: str = "PP"
    digits: int = 4


@dataclass(frozen=True)
class ParkingPolicy:
    reservation_days: int = 30
    permit_number: Format = Format()


@dataclass(frozen=True)
class ParkingPolicies:
    """A book whose rules changed on 1 January 2026: reservations are held 10 days longer."""

    def in_force_on(self, day: date) -> ParkingPolicy:
        return ParkingPolicy(30 if day >= date(2026, 1, 1) else 20)


POLICIES = ParkingPolicies()


# -- the bus vocabulary ---------------------------------------------------------------------


class ParkingPermitCommand(Command):
    CONTEXT = "parking-permit"


class ParkingPermitEvent(Event):
    CONTEXT = "parking-permit"


class AssessParkingPermit(ParkingPermitCommand):
    application_id: str
    person_ref: str = "person-1"
    application_date: date = date(2026, 3, 2)
    passport_expires_on: date = date(2033, 10, 31)
    licensed: bool = True
    photo: bool = True


class CancelParkingPermitReservation(ParkingPermitCommand):
    application_id: str
    reason: ReasonCode


class RenewParkingPermitReservation(ParkingPermitCommand):
    application_id: str


class RecordParkingPermitOfficerDecision(ParkingPermitCommand):
    application_id: str
    decision: str
    officer: str
    reason: str = ""


class ExtendParkingPermit(ParkingPermitCommand):
    application_id: str
    extension_id: str


class ParkingPermitReserved(ParkingPermitEvent):
    application_id: str
    permit_number: str
    reserved_until: datetime
    bay: str


class ParkingPermitRefused(ParkingPermitEvent):
    application_id: str
    reasons: tuple[Reason, ...]
    bay: str | None = None


class ParkingPermitReviewRequired(ParkingPermitEvent):
    application_id: str
    reasons: tuple[Reason, ...]


class ParkingPermitIssued(ParkingPermitEvent):
    application_id: str
    permit_number: str


class ParkingPermitIssueRejected(ParkingPermitEvent):
    application_id: str
    state: str


class ParkingPermitReservationCancelled(ParkingPermitEvent):
    application_id: str
    permit_number: str | None


class ParkingPermitRevoked(ParkingPermitEvent):
    application_id: str
    permit_number: str


class ParkingPermitReservationExpired(ParkingPermitEvent):
    application_id: str
    permit_number: str


class ParkingPermitExtended(ParkingPermitEvent):
    extension_id: str
    application_id: str
    valid_until: date


class ParkingPermitExtensionRefused(ParkingPermitEvent):
    extension_id: str


# -- the permit -----------------------------------------------------------------------------


class Assessed(permit.Assessed):
    bay: str


class Reserved(permit.Reserved):
    bay: str


class Issued(permit.Issued):
    pass


class Extended(permit.Extended):
    pass


class ExtensionRefused(permit.ExtensionRefused):
    pass


PARKING_EVENTS = PermitEvents(
    "parking-permit", (Assessed, Reserved, Issued, Extended, ExtensionRefused)
)


@dataclass(frozen=True)
class Review:
    reasons: tuple[Reason, ...]
    missing_documents: tuple[str, ...]


# Its reasons are worded on the work side (a permit's side is work or residence).
WORDING = Reasons("work", Articles("parking-2026.1", {"refused_by_officer": "§7"}))


def review_of(command: AssessParkingPermit) -> Review:
    if command.photo:
        return Review((), ())
    return Review((Reason(code="document_missing"),), ("photo",))


class ParkingPermit(Permit[Assessed, ParkingPolicy]):
    """Valid for a year from its issue; extended by a year at a time."""

    wording = WORDING

    def assess(
        self,
        command: AssessParkingPermit,
        policies: PolicyBook[ParkingPolicy],
        now: datetime,
        permit_number: str | None = None,
    ) -> list[DomainEvent]:
        if self.state not in ASSESSABLE:
            return []
        assessed = Assessed.of(command, bay="B7")
        refusals = [] if command.licensed else [Reason(code="not_eligible_category")]
        review = partial(review_of, command)
        return self._decided(assessed, refusals, review, policies, now, permit_number)

    def issue(self, now: datetime) -> list[DomainEvent]:
        return self._issue(
            now,
            lambda number, _: Issued(
                permit_number=number, valid_until=now.date() + timedelta(days=365), issued_at=now
            ),
        )

    def extend(self, extension_id: str) -> list[DomainEvent]:
        if self.state != "issued" or self.valid_until is None or self.permit_number is None:
            return self.record(ExtensionRefused(extension_id=extension_id, reasons=()))
        return self.record(
            Extended(
                extension_id=extension_id,
                permit_number=self.permit_number,
                previous_valid_until=self.valid_until,
                valid_until=self.valid_until + timedelta(days=365),
            )
        )

    def _reserved(
        self,
        assessed: Assessed,
        policy: ParkingPolicy,
        permit_number: str,
        reserved_until: datetime,
    ) -> Reserved:
        return Reserved(
            permit_number=permit_number, reserved_until=reserved_until, bay=assessed.bay
        )


def told(permit: ParkingPermit, event: DomainEvent) -> dict[str, object]:
    return {"bay": permit.assessed.bay if permit.assessed else None}


PARKING_PERMIT = PermitKind(
    ParkingPermit, PARKING_EVENTS, ParkingPermitCommand, ParkingPermitEvent, told
)


class ParkingPermits(PermitService[ParkingPermit, ParkingPolicy]):
    kind = PARKING_PERMIT

    def assessment(self, command: AssessParkingPermit) -> Decide[ParkingPermit]:
        now = self.clock.now()
        return lambda p, number: p.assess(command, self.policies, now, number)

    async def extend(self, command: ExtendParkingPermit, cause: Envelope) -> ParkingPermit:
        return await self.decide(
            command.application_id, cause, lambda p, _: p.extend(command.extension_id)
        )


def replayed(*events: DomainEvent) -> ParkingPermit:
    return ParkingPermit.replay("app-1", events)


PARKING_EVENTS_TOPIC = Topic("parking-permit.events", "application id", ("parking-permit",), ())


def publish_parking_events_on_their_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contracts' catalog knows only the real topics; the tests' own vocabulary is
    published on a topic of its own while a test runs."""
    for cls in ParkingPermitEvent.__subclasses__():
        monkeypatch.setitem(catalog.TOPIC_OF, cls.TYPE, PARKING_EVENTS_TOPIC)
