"""The combined application: commands from the gateway, events of the saga."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from onewindow.contracts.message import Command, Event
from onewindow.contracts.v1.common import (
    ApplicationForm,
    Classification,
    DocumentKind,
    DocumentRef,
    LegalBasis,
    PermitGrant,
    PermitSide,
    Reason,
    Value,
)

Status = Literal[
    "submitted",
    "verifying_identity",
    "assessing",
    "awaiting_officer",
    "awaiting_documents",
    "issuing",
    "compensating",
    "approved",
    "refused",
    "withdrawn",
]
FINAL_STATUSES: frozenset[str] = frozenset({"approved", "refused", "withdrawn"})
PermitStatus = Literal["pending", "reserved", "issued", "refused", "cancelled", "revoked"]
Role = Literal["applicant", "employer", "officer", "operator", "clerk"]


class ApplicationsCommand(Command):
    CONTEXT = "applications"


class ApplicationsEvent(Event):
    CONTEXT = "applications"


class Actor(Value):
    """Who acted: the token's subject and role (and the employer's USCC).

    v1.1: `passport` is the passport (`NAT:NUMBER`) an applicant's account was verified
    for by the identity provider (absent for an account without real-name verification);
    `on_behalf_of` is the applicant account an employer named when it submitted for its
    employee (that account owns the case as if it had submitted it).
    """

    sub: str
    role: Role
    uscc: str | None = None
    passport: str | None = None
    on_behalf_of: str | None = None


class SubmitApplication(ApplicationsCommand):
    application_id: str
    submitted_by: Actor
    submitted_at: datetime
    form: ApplicationForm


class SupplyDocuments(ApplicationsCommand):
    application_id: str
    supplied_by: Actor
    documents: tuple[DocumentRef, ...]
    # v1.1: the temporary residence registration number, when it was asked for.
    registration_number: str | None = None


class WithdrawApplication(ApplicationsCommand):
    application_id: str
    requested_by: Actor


class RecordReview(ApplicationsCommand):
    application_id: str
    officer: Actor
    permit: PermitSide
    decision: Literal["approve", "refuse", "request_documents"]
    reason: str = ""
    documents: tuple[DocumentKind, ...] = ()


class RequestExtension(ApplicationsCommand):
    extension_id: str
    work_permit_number: str
    contract_end: date
    requested_by: Actor
    requested_at: datetime


class Contact(Value):
    """Where notifications go (kept off the headers; only the notifier reads it)."""

    email: str
    language: Literal["en", "zh"] = "en"
    employer_email: str | None = None


class Deadline(Value):
    due_on: date | None
    clock: Literal["running", "stopped", "not_started", "finished"]
    stopped_days: int = 0


class PermitView(Value):
    status: PermitStatus
    number: str | None = None
    valid_until: date | None = None
    reasons: tuple[Reason, ...] = ()
    # A pending permit an officer must look at (the reasons say why).
    under_review: bool = False


class ApplicationReceived(ApplicationsEvent):
    application_id: str
    submitted_at: datetime
    channel: str
    submitted_by: Actor
    employer_uscc: str
    contact: Contact
    deadline: Deadline


class ApplicationStatusChanged(ApplicationsEvent):
    """Every move of the case, with what the read model shows at that moment."""

    application_id: str
    status: Status
    at: datetime
    summary: str
    classification: Classification | None = None
    work_permit: PermitView = PermitView(status="pending")
    residence_permit: PermitView = PermitView(status="pending")
    deadline: Deadline = Deadline(due_on=None, clock="not_started")
    # v1.1: identity's flags on the case (`identity.Flag`: `watchlist_match`,
    # `unverified_applicant`), shown to officers beside the case.
    flags: tuple[str, ...] = ()


class DocumentsRequested(ApplicationsEvent):
    application_id: str
    documents: tuple[str, ...]
    requested_by: Literal["system", "officer"]
    respond_by: date
    reasons: tuple[Reason, ...] = ()
    contact: Contact


class OfficerReviewRequested(ApplicationsEvent):
    application_id: str
    permit: PermitSide
    reasons: tuple[Reason, ...]


class Appeal(Value):
    route: str
    deadline: date


class ApplicationApproved(ApplicationsEvent):
    application_id: str
    decided_at: datetime
    decided_by: str
    legal_basis: LegalBasis | None = None  # v1.1
    work_permit: PermitGrant
    residence_permit: PermitGrant
    classification: Classification | None = None
    contact: Contact


class ApplicationRefused(ApplicationsEvent):
    application_id: str
    decided_at: datetime
    decided_by: str
    legal_basis: LegalBasis | None = None  # v1.1
    reasons: tuple[Reason, ...]
    appeal: Appeal
    contact: Contact


class ApplicationWithdrawn(ApplicationsEvent):
    application_id: str
    withdrawn_at: datetime
    legal_basis: LegalBasis | None = None  # v1.1
    contact: Contact


class DeadlineEscalated(ApplicationsEvent):
    application_id: str
    due_on: date
    escalated_at: datetime
    status: Status


class ExtensionDecided(ApplicationsEvent):
    extension_id: str
    application_id: str | None
    outcome: Literal["approved", "refused"]
    decided_at: datetime
    work_permit: PermitGrant | None = None
    residence_permit: PermitGrant | None = None
    reasons: tuple[Reason, ...] = Field(default_factory=tuple)
