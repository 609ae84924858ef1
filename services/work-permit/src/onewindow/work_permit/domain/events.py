"""The work permit's own history: stored domain events, past tense, in the domain's words.

These are not the integration events of `onewindow.contracts.v1.work_permit`; the one place
that maps them is `application/mapping.py`. Each class name is its stored type name, so a
rename needs an upcaster in `STORED_TYPES`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from onewindow.contracts.v1.common import Classification, LegalBasis, Reason, ReasonCode


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Assessed(DomainEvent):
    """The facts the permit was assessed on, kept for issue, approval and extension."""

    application_id: str
    person_ref: str
    application_date: date
    passport_expires_on: date
    contract_start: date
    contract_end: date
    employer_uscc: str
    classification: Classification


class Reserved(DomainEvent):
    permit_number: str
    valid_until: date
    reserved_until: datetime
    classification: Classification


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


class Issued(DomainEvent):
    permit_number: str
    valid_until: date
    issued_at: datetime


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


class Extended(DomainEvent):
    extension_id: str
    permit_number: str
    contract_end: date
    previous_valid_until: date
    valid_until: date


class ExtensionReverted(DomainEvent):
    """An extension undone because the residence permit could not follow it."""

    extension_id: str
    permit_number: str
    restored_valid_until: date
    reason: ReasonCode


class ExtensionRefused(DomainEvent):
    extension_id: str
    permit_number: str
    reasons: tuple[Reason, ...]


STORED_TYPES: dict[str, type[DomainEvent]] = {
    cls.__name__: cls
    for cls in (
        Assessed,
        Reserved,
        Refused,
        ReviewRequired,
        OfficerDecisionRecorded,
        Issued,
        IssueRejected,
        ReservationCancelled,
        ReservationExpired,
        Revoked,
        Extended,
        ExtensionReverted,
        ExtensionRefused,
    )
}


def revive(type_name: str, data: dict[str, Any]) -> DomainEvent:
    """The domain event stored under `type_name` with `data`."""
    return STORED_TYPES[type_name].model_validate(data)
