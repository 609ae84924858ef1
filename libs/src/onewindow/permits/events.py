"""A permit's stored history, the part every permit shares: past tense, in the domain's words.

Two kinds of classes live here. The lifecycle events (`Refused`, `Revoked`, …) are the
same for every permit and are stored as the kernel's (`permit.Revoked.v1`). The bases
(`Assessed`, `Reserved`, `Issued`, `Extended`, `ExtensionRefused`) say what the kernel
reads of events whose full shape is a service's own: each service extends them and stores
its subclasses under its own name (`work-permit.Reserved.v1`).

These are not integration events; `publication` maps them to the bus.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict

from onewindow.contracts.v1.common import LegalBasis, Reason, ReasonCode
from onewindow.runtime.event_types import EventTypes


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# -- bases a service extends ---------------------------------------------------------------


class Applicant(Protocol):
    """What every permit's assessment command says of the case."""

    @property
    def application_id(self) -> str: ...

    @property
    def person_ref(self) -> str: ...

    @property
    def application_date(self) -> date: ...

    @property
    def passport_expires_on(self) -> date: ...


class Assessed(DomainEvent):
    """The facts the permit was assessed on, kept for what follows (issue, extension)."""

    application_id: str
    person_ref: str
    application_date: date
    passport_expires_on: date

    @classmethod
    def of(cls, command: Applicant, **own: object) -> Self:
        """The facts of `command` every permit keeps, with those the service adds."""
        return cls.model_validate(
            {
                "application_id": command.application_id,
                "person_ref": command.person_ref,
                "application_date": command.application_date,
                "passport_expires_on": command.passport_expires_on,
                **own,
            }
        )


class Reserved(DomainEvent):
    """A number held for the applicant until `reserved_until`, unless issued first."""

    permit_number: str
    reserved_until: datetime


class Issued(DomainEvent):
    permit_number: str
    valid_until: date
    issued_at: datetime


class Extended(DomainEvent):
    extension_id: str
    permit_number: str
    previous_valid_until: date
    valid_until: date


class ExtensionRefused(DomainEvent):
    extension_id: str
    reasons: tuple[Reason, ...]


# -- the lifecycle, the same for every permit -----------------------------------------------


class Refused(DomainEvent):
    reasons: tuple[Reason, ...]


class ReviewRequired(DomainEvent):
    reasons: tuple[Reason, ...]
    missing_documents: tuple[str, ...] = ()


class OfficerDecisionRecorded(DomainEvent):
    decision: Literal["approve", "refuse"]
    officer: str
    reason: str = ""
    recorded_at: datetime


class IssueRejected(DomainEvent):
    """An issue was asked in a state that allows none; it changes nothing."""

    state: str
    rejected_at: datetime


class ReservationCancelled(DomainEvent):
    permit_number: str | None
    reason: ReasonCode
    cancelled_at: datetime


class Revoked(DomainEvent):
    """An issued permit withdrawn again (its counterpart could not be issued, or the case
    was withdrawn while issuing). Its number stays spent: numbers are never reused."""

    permit_number: str
    reason: ReasonCode
    legal_basis: LegalBasis
    revoked_at: datetime


class ReservationExpired(DomainEvent):
    permit_number: str
    expired_at: datetime


LIFECYCLE_TYPES: tuple[type[DomainEvent], ...] = (
    Refused,
    ReviewRequired,
    OfficerDecisionRecorded,
    IssueRejected,
    ReservationCancelled,
    Revoked,
    ReservationExpired,
)
LIFECYCLE: EventTypes[DomainEvent] = EventTypes("permit")
LIFECYCLE.add_all(LIFECYCLE_TYPES)


class PermitEvents:
    """One permit service's stored event types: its own, under its context
    (`work-permit.Reserved.v1`), and the kernel's lifecycle (`permit.Revoked.v1`).

    Streams written before stable names carry bare class names (`Reserved`, `Revoked`);
    they read as version 1 of whichever registry knows the name.
    """

    def __init__(self, context: str, own: Iterable[type[DomainEvent]]) -> None:
        own = tuple(own)
        self.own: EventTypes[DomainEvent] = EventTypes(context)
        self.own.add_all(own)
        self.types: tuple[type[DomainEvent], ...] = (*own, *LIFECYCLE_TYPES)

    @property
    def context(self) -> str:
        return self.own.context

    def revive(self, type_name: str, data: dict[str, Any]) -> DomainEvent:
        """The event stored as `type_name` with `data`, upcast to its current shape."""
        registry = self.own if type_name in self.own else LIFECYCLE
        return registry.revive(type_name, data)
