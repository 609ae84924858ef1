"""The residence permit's own history: stored domain events, past tense.

The lifecycle every permit shares (`Refused`, `Revoked`, …) is the kernel's
(`onewindow.permits.events`), re-exported here so the whole history reads from one
module; these are what a residence permit adds. Each is stored as
`residence-permit.<Event>.v<n>`.
"""

from __future__ import annotations

from datetime import date

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
    """The facts the permit was assessed on, kept for issue and extension."""

    date_of_birth: date


class Reserved(permit.Reserved):
    """A residence permit's number held; its validity is fixed at issue, beside the work
    permit's."""


class Issued(permit.Issued):
    work_permit_number: str


class Extended(permit.Extended):
    work_permit_valid_until: date


class ExtensionRefused(permit.ExtensionRefused):
    """An extension the residence permit cannot follow (it was never issued)."""


RESIDENCE_PERMIT_EVENTS = PermitEvents(
    "residence-permit", (Assessed, Reserved, Issued, Extended, ExtensionRefused)
)
