"""The saga's stored domain events: the audit trail of one combined application.

They are the saga's own types, distinct from the integration events on the bus
(contracts.v1.applications); `application.handlers` translates between the two.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import (
    ApplicationForm,
    Classification,
    DocumentKind,
    DocumentRef,
    Employer,
    PermitSide,
    Reason,
    ReasonCode,
    ResolvedDocument,
)
from onewindow.runtime.event_types import EventTypes

Outcome = Literal["approved", "refused", "withdrawn"]
Assessment = Literal["reserved", "refused", "review"]


class CaseEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CaseOpened(CaseEvent):
    application_id: str
    form: ApplicationForm
    submitted_by: Actor
    submitted_at: datetime
    due_on: date


class IdentityResolved(CaseEvent):
    person_ref: str
    employer: Employer
    documents: tuple[ResolvedDocument, ...]
    flags: tuple[str, ...] = ()


class IdentityRefused(CaseEvent):
    person_ref: str = ""
    reasons: tuple[Reason, ...]


class AssessmentRequested(CaseEvent):
    sides: tuple[PermitSide, ...]
    round: int


class SideAssessed(CaseEvent):
    side: PermitSide
    outcome: Assessment
    number: str | None = None
    valid_until: date | None = None
    reasons: tuple[Reason, ...] = ()
    missing_documents: tuple[str, ...] = ()
    classification: Classification | None = None


class IssueStarted(CaseEvent):
    """The permits of `sides` are to be issued now (attempt `attempt`).

    Both sides at once since both were reserved; an event stored before that names no
    side and meant the next one in the old order: the work permit, then the residence
    permit beside it.
    """

    at: datetime
    attempt: int = 1
    sides: tuple[PermitSide, ...] = ()


class SideIssued(CaseEvent):
    side: PermitSide
    number: str
    valid_until: date


class CompensationStarted(CaseEvent):
    cause: Literal["refused", "withdrawn"]
    at: datetime


class CancellationRequested(CaseEvent):
    side: PermitSide
    reason: ReasonCode


class SideCancelled(CaseEvent):
    side: PermitSide
    number: str | None = None


class OfficerDecisionRecorded(CaseEvent):
    side: PermitSide
    decision: Literal["approve", "refuse", "request_documents"]
    officer: str
    reason: str = ""
    documents: tuple[DocumentKind, ...] = ()


class DocumentsAwaited(CaseEvent):
    documents: tuple[str, ...]
    since: date
    respond_by: date
    requested_by: Literal["system", "officer"]
    reasons: tuple[Reason, ...] = ()


class DocumentsReceived(CaseEvent):
    documents: tuple[DocumentRef, ...]
    registration_number: str | None = None
    on: date
    new_due_on: date
    stopped_days: int


class CaseDecided(CaseEvent):
    outcome: Outcome
    at: datetime
    decided_by: str
    reasons: tuple[Reason, ...] = ()


class DeadlineMissed(CaseEvent):
    due_on: date
    at: datetime


class SideLapsed(CaseEvent):
    """A side's reservation lapsed while the case waited (its permit service said so)."""

    side: PermitSide
    number: str


class RenewalRequested(CaseEvent):
    """A lapsed reservation is asked for again before anything is issued on it."""

    side: PermitSide
    attempt: int


class IssueFailed(CaseEvent):
    """A permit service could not issue (or renew) a side: it names the permit's state."""

    side: PermitSide
    state: str


class SideRevoked(CaseEvent):
    side: PermitSide
    number: str
    reason: ReasonCode


class SupplementLapsed(CaseEvent):
    """The applicant did not answer a supplement request by its date."""

    respond_by: date
    at: datetime


class DocumentsReminded(CaseEvent):
    at: datetime


class TimerEscalated(CaseEvent):
    """A waiting state overran its policy time: an officer's supervisor (awaiting_officer)
    or the operators (a service that has not answered) are told."""

    status: str
    since: datetime
    at: datetime


class CommandsResent(CaseEvent):
    """The commands still unanswered were sent again, under their first ids."""

    at: datetime
    commands: tuple[str, ...]


class CaseHeld(CaseEvent):
    """Identity flagged the case for an officer after it was verified (another, verified
    applicant took the person's claim): nothing is issued until an officer has looked."""

    flags: tuple[str, ...]


class HoldCleared(CaseEvent):
    officer: str
    decision: Literal["approve", "refuse", "request_documents"]
    reason: str = ""


class LateReplyIgnored(CaseEvent):
    """A reply that arrived after it could matter (kept for the audit trail)."""

    what: str
    side: PermitSide | None = None


# Every stored case event under its stable name (`applications.<Event>.v<n>`).
CASE_EVENTS: EventTypes[CaseEvent] = EventTypes("applications")
CASE_EVENTS.add_all(
    (
        CaseOpened,
        IdentityResolved,
        IdentityRefused,
        AssessmentRequested,
        SideAssessed,
        IssueStarted,
        SideIssued,
        CompensationStarted,
        CancellationRequested,
        SideCancelled,
        OfficerDecisionRecorded,
        DocumentsAwaited,
        DocumentsReceived,
        CaseDecided,
        DeadlineMissed,
        SideLapsed,
        RenewalRequested,
        IssueFailed,
        SideRevoked,
        SupplementLapsed,
        DocumentsReminded,
        TimerEscalated,
        CommandsResent,
        CaseHeld,
        HoldCleared,
        LateReplyIgnored,
    )
)
