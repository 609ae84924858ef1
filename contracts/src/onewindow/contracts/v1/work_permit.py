"""Work permits: assessment, reservation, issue, cancellation, extension."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from onewindow.contracts.message import Command, Event
from onewindow.contracts.v1.common import (
    Classification,
    Commitments,
    Employer,
    LegalBasis,
    Position,
    Qualifications,
    Reason,
    ReasonCode,
    ResolvedDocument,
)
from onewindow.contracts.v1.identity import Flag


class WorkPermitCommand(Command):
    CONTEXT = "work-permit"


class WorkPermitEvent(Event):
    CONTEXT = "work-permit"


class AssessWorkPermit(WorkPermitCommand):
    application_id: str
    person_ref: str
    date_of_birth: date
    passport_expires_on: date
    employer: Employer
    position: Position
    qualifications: Qualifications
    documents: tuple[ResolvedDocument, ...]
    commitments: Commitments = Commitments()
    flags: tuple[Flag, ...] = ()
    application_date: date


class IssueWorkPermit(WorkPermitCommand):
    application_id: str


class CancelWorkPermitReservation(WorkPermitCommand):
    application_id: str
    reason: ReasonCode


class RenewWorkPermitReservation(WorkPermitCommand):
    """Reserve again a permit whose reservation lapsed while the case waited (same number)."""

    application_id: str


class RecordWorkPermitOfficerDecision(WorkPermitCommand):
    application_id: str
    decision: Literal["approve", "refuse"]
    officer: str
    reason: str = ""


class ExtendWorkPermit(WorkPermitCommand):
    extension_id: str
    permit_number: str
    contract_end: date
    requested_on: date


class RevertWorkPermitExtension(WorkPermitCommand):
    """Compensation: undo an extension whose residence permit could not follow it (both
    or neither). The permit's validity goes back to what it was before."""

    extension_id: str
    permit_number: str
    reason: ReasonCode


class WorkPermitReserved(WorkPermitEvent):
    application_id: str
    permit_number: str
    valid_until: date
    classification: Classification
    reserved_until: datetime


class WorkPermitRefused(WorkPermitEvent):
    application_id: str
    reasons: tuple[Reason, ...]
    classification: Classification | None = None


class WorkPermitReviewRequired(WorkPermitEvent):
    application_id: str
    reasons: tuple[Reason, ...]
    missing_documents: tuple[str, ...] = ()
    classification: Classification | None = None


class WorkPermitIssued(WorkPermitEvent):
    application_id: str
    permit_number: str
    valid_until: date
    issued_at: datetime


class WorkPermitIssueRejected(WorkPermitEvent):
    """An issue command arrived for a permit that is not reserved (cancelled, expired)."""

    application_id: str
    state: str


class WorkPermitReservationCancelled(WorkPermitEvent):
    application_id: str
    permit_number: str | None
    reason: ReasonCode


class WorkPermitRevoked(WorkPermitEvent):
    """An issued permit withdrawn again: its counterpart could not be issued, or the case was
    withdrawn while permits were being issued. The number is never reused."""

    application_id: str
    permit_number: str
    reason: ReasonCode
    legal_basis: LegalBasis
    revoked_at: datetime


class WorkPermitReservationExpired(WorkPermitEvent):
    application_id: str
    permit_number: str


class WorkPermitExtended(WorkPermitEvent):
    extension_id: str
    application_id: str
    permit_number: str
    previous_valid_until: date
    valid_until: date


class WorkPermitExtensionReverted(WorkPermitEvent):
    extension_id: str
    application_id: str
    permit_number: str
    valid_until: date  # the validity restored
    reason: ReasonCode


class WorkPermitExtensionRefused(WorkPermitEvent):
    extension_id: str
    permit_number: str
    reasons: tuple[Reason, ...]
