"""The e-government registry of digitised records: employers, certificates, the watch list.

Each record is its own aggregate whose history is every version a clerk
recorded; its state is the latest version. A clerk's `PUT` is a correction as
much as a creation, so recording the same content again records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from onewindow.contracts.v1.common import DocumentKind
from onewindow.contracts.v1.registry import DEGREE_LEVELS
from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.person import PassportHolder, normalise


class InvalidRecord(ValueError):
    """A record the registry refuses to keep, naming the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EmployerRecord(Record):
    """A registered employer: its USCC, name and the last day its business licence is valid."""

    uscc: str
    name: str
    licence_valid_until: date


class Holder(Record):
    """The person a certificate belongs to, by passport."""

    nationality: str
    passport_number: str

    _normalised = field_validator("nationality", "passport_number")(normalise)

    def as_passport_holder(self) -> PassportHolder:
        return PassportHolder(self.nationality, self.passport_number)


class CertificateRecord(Record):
    """A digitised certificate; `valid_until` is None for documents that do not expire."""

    certificate_id: str
    kind: DocumentKind
    holder: Holder
    issued_on: date
    valid_until: date | None = None
    issuer: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    def check_valid(self) -> None:
        """Raise `InvalidRecord` unless the certificate is coherent enough to be cited."""
        if self.valid_until is not None and self.valid_until < self.issued_on:
            raise InvalidRecord("valid_until", "must not be before issued_on")
        if self.kind == "degree" and self.details.get("level") not in DEGREE_LEVELS:
            raise InvalidRecord(
                "details.level", "a degree's level is one of " + "|".join(DEGREE_LEVELS)
            )

    def is_held_by(self, holder: PassportHolder) -> bool:
        return self.holder.as_passport_holder() == holder

    def is_valid_on(self, day: date) -> bool:
        """True unless the certificate has expired by `day` (the last valid day counts)."""
        return self.valid_until is None or day <= self.valid_until


class WatchlistEntry(Record):
    """A person on the watch list: their cases go to an officer, they are not refused."""

    nationality: str
    passport_number: str
    note: str

    _normalised = field_validator("nationality", "passport_number")(normalise)

    def holder(self) -> PassportHolder:
        return PassportHolder(self.nationality, self.passport_number)


class EmployerRecorded(DomainEvent):
    employer: EmployerRecord


class CertificateRecorded(DomainEvent):
    certificate: CertificateRecord


class WatchlistEntryRecorded(DomainEvent):
    entry: WatchlistEntry


REGISTRY_EVENTS: tuple[type[DomainEvent], ...] = (
    EmployerRecorded,
    CertificateRecorded,
    WatchlistEntryRecorded,
)

R = TypeVar("R", EmployerRecord, CertificateRecord, WatchlistEntry)


@dataclass(frozen=True, slots=True)
class Recording(Generic[R]):
    """What recording a version does: the events to append and the record afterwards."""

    record: R
    events: tuple[DomainEvent, ...]
    created: bool


def _recorded(event: DomainEvent) -> EmployerRecord | CertificateRecord | WatchlistEntry:
    if isinstance(event, EmployerRecorded):
        return event.employer
    if isinstance(event, CertificateRecorded):
        return event.certificate
    if isinstance(event, WatchlistEntryRecorded):
        return event.entry
    raise TypeError(f"not a registry event: {type(event).__name__}")


def current(record_type: type[R], history: Iterable[DomainEvent]) -> R | None:
    """The latest version of a record, or None when nothing was ever recorded."""
    latest: R | None = None
    for event in history:
        found = _recorded(event)
        if isinstance(found, record_type):
            latest = found
    return latest


def record(existing: R | None, new: R) -> Recording[R]:
    """Record a new version: nothing happens when it equals the existing one."""
    if isinstance(new, CertificateRecord):
        new.check_valid()
    if existing == new:
        return Recording(record=new, events=(), created=False)
    event: DomainEvent
    if isinstance(new, EmployerRecord):
        event = EmployerRecorded(employer=new)
    elif isinstance(new, CertificateRecord):
        event = CertificateRecorded(certificate=new)
    else:
        event = WatchlistEntryRecorded(entry=new)
    return Recording(record=new, events=(event,), created=existing is None)
