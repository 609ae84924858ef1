"""The work permit's own history: stored domain events, past tense, in the domain's words.

The lifecycle every permit shares (`Refused`, `Revoked`, …) is the kernel's
(`onewindow.permits.events`), re-exported here so the whole history reads from one
module; these are what a work permit adds. Each is stored as `work-permit.<Event>.v<n>`.
"""

from __future__ import annotations

from datetime import date

from onewindow.contracts.v1.common import Classification, ReasonCode
from onewindow.permits import events as permit
from onewindow.permits.events import DomainEvent as DomainEvent
from onewindow.permits.events import IssueRejected as IssueRejected
from onewindow.permits.events import OfficerDecisionRecorded as OfficerDecisionRecorded
from onewindow.permits.events import PermitEvents
from onewindow.permits.events import Refused as Refused
from onewindow.permits.events import ReservationCancelled as ReservationCancelled
from onewindow.permits.events import ReservationExpired as ReservationExpired
from onewindow.permits.events import ReviewRequired as ReviewRequired
from onewindow.permits.events import Revoked as Revoked


class Assessed(permit.Assessed):
    """The facts the permit was assessed on, kept for issue, approval and extension."""

    contract_start: date
    contract_end: date
    employer_uscc: str
    classification: Classification


class Reserved(permit.Reserved):
    valid_until: date
    classification: Classification


class Issued(permit.Issued):
    """The reserved permit issued, valid until the reservation said."""


class Extended(permit.Extended):
    contract_end: date


class ExtensionReverted(DomainEvent):
    """An extension undone because the residence permit could not follow it."""

    extension_id: str
    permit_number: str
    restored_valid_until: date
    reason: ReasonCode


class ExtensionRefused(permit.ExtensionRefused):
    permit_number: str


WORK_PERMIT_EVENTS = PermitEvents(
    "work-permit", (Assessed, Reserved, Issued, Extended, ExtensionReverted, ExtensionRefused)
)
