"""Residence permits for work: assessment, reservation, issue, cancellation, extension."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from onewindow.contracts.message import Command, Event
from onewindow.contracts.v1.common import LegalBasis, Reason, ReasonCode, ResolvedDocument
from onewindow.contracts.v1.identity import Flag


class ResidencePermitCommand(Command):
    CONTEXT = "residence-permit"


class ResidencePermitEvent(Event):
    CONTEXT = "residence-permit"


class AssessResidencePermit(ResidencePermitCommand):
    application_id: str
    person_ref: str
    date_of_birth: date
    passport_expires_on: date
    registration_number: str | None
    documents: tuple[ResolvedDocument, ...]
    flags: tuple[Flag, ...] = ()
    application_date: date


class IssueResidencePermit(ResidencePermitCommand):
    """Issue once the work permit is issued: validity = min(work permit, passport)."""

    application_id: str
    work_permit_number: str
    work_permit_valid_until: date


class CancelResidencePermitReservation(ResidencePermitCommand):
    application_id: str
    reason: ReasonCode


class RenewResidencePermitReservation(ResidencePermitCommand):
    """Reserve again a permit whose reservation lapsed while the case waited (same number)."""

    application_id: str


class RecordResidencePermitOfficerDecision(ResidencePermitCommand):
    application_id: str
    decision: Literal["approve", "refuse"]
    officer: str
    reason: str = ""


class ExtendResidencePermit(ResidencePermitCommand):
    """Extend with the work permit: the new validity follows the work permit's."""

    extension_id: str
    application_id: str
    work_permit_valid_until: date


class ResidencePermitReserved(ResidencePermitEvent):
    application_id: str
    permit_number: str
    reserved_until: datetime


class ResidencePermitRefused(ResidencePermitEvent):
    application_id: str
    reasons: tuple[Reason, ...]


class ResidencePermitReviewRequired(ResidencePermitEvent):
    application_id: str
    reasons: tuple[Reason, ...]
    missing_documents: tuple[str, ...] = ()


class ResidencePermitIssued(ResidencePermitEvent):
    application_id: str
    permit_number: str
    valid_until: date
    issued_at: datetime


class ResidencePermitIssueRejected(ResidencePermitEvent):
    application_id: str
    state: str


class ResidencePermitReservationCancelled(ResidencePermitEvent):
    application_id: str
    permit_number: str | None
    reason: ReasonCode


class ResidencePermitRevoked(ResidencePermitEvent):
    """An issued permit withdrawn again: its counterpart could not be issued, or the case was
    withdrawn while permits were being issued. The number is never reused."""

    application_id: str
    permit_number: str
    reason: ReasonCode
    legal_basis: LegalBasis
    revoked_at: datetime


class ResidencePermitReservationExpired(ResidencePermitEvent):
    application_id: str
    permit_number: str


class ResidencePermitExtended(ResidencePermitEvent):
    extension_id: str
    application_id: str
    permit_number: str
    previous_valid_until: date
    valid_until: date


class ResidencePermitExtensionRefused(ResidencePermitEvent):
    extension_id: str
    application_id: str
    reasons: tuple[Reason, ...]
