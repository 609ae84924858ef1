"""The e-government registry of digitised records: employers, certificates, the watch list.

Each record is its own aggregate whose history is every version a clerk
recorded, each with the clerk who recorded it; its state is the latest version. A
clerk's `PUT` is a correction as much as a creation, so recording the same content
again records nothing (and the version keeps the clerk who recorded it first).
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


class Recorder(Record):
    """The clerk who recorded a version: their account (`sub`) and role. Versions recorded
    before the registry kept it have none (their event's `recorded_by` is None)."""

    sub: str
    role: str


class EmployerRecorded(DomainEvent):
    employer: EmployerRecord
    recorded_by: Recorder | None = None


class CertificateRecorded(DomainEvent):
    certificate: CertificateRecord
    recorded_by: Recorder | None = None


class WatchlistEntryRecorded(DomainEvent):
    entry: WatchlistEntry
    recorded_by: Recorder | None = None


REGISTRY_EVENTS: tuple[type[DomainEvent], ...] = (
    EmployerRecorded,
    CertificateRecorded,
    WatchlistEntryRecorded,
)

R = TypeVar("R", EmployerRecord, CertificateRecord, WatchlistEntry)


@dataclass(frozen=True, slots=True)
class Recorded(Generic[R]):
    """A version of a record and the clerk who recorded it (None when not known)."""

    record: R
    recorded_by: Recorder | None


@dataclass(frozen=True, slots=True)
class Recording(Generic[R]):
    """What recording a version does: the events to append and the version afterwards."""

    recorded: Recorded[R]
    events: tuple[DomainEvent, ...]
    created: bool


def _recorded(
    event: DomainEvent,
) -> tuple[EmployerRecord | CertificateRecord | WatchlistEntry, Recorder | None]:
    if isinstance(event, EmployerRecorded):
        return event.employer, event.recorded_by
    if isinstance(event, CertificateRecorded):
        return event.certificate, event.recorded_by
    if isinstance(event, WatchlistEntryRecorded):
        return event.entry, event.recorded_by
    raise TypeError(f"not a registry event: {type(event).__name__}")


def current(record_type: type[R], history: Iterable[DomainEvent]) -> Recorded[R] | None:
    """The latest version of a record, or None when nothing was ever recorded."""
    latest: Recorded[R] | None = None
    for event in history:
        found, recorded_by = _recorded(event)
        if isinstance(found, record_type):
            latest = Recorded(found, recorded_by)
    return latest


def record(existing: Recorded[R] | None, new: R, by: Recorder) -> Recording[R]:
    """Record a new version by a clerk: nothing happens when it equals the existing one."""
    if isinstance(new, CertificateRecord):
        new.check_valid()
    if existing is not None and existing.record == new:
        return Recording(recorded=existing, events=(), created=False)
    event: DomainEvent
    if isinstance(new, EmployerRecord):
        event = EmployerRecorded(employer=new, recorded_by=by)
    elif isinstance(new, CertificateRecord):
        event = CertificateRecorded(certificate=new, recorded_by=by)
    else:
        event = WatchlistEntryRecorded(entry=new, recorded_by=by)
    return Recording(recorded=Recorded(new, by), events=(event,), created=existing is None)
