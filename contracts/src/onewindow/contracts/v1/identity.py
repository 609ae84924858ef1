"""Identity: verification of the person, resolution of registry documents."""

from __future__ import annotations

from datetime import date
from typing import Literal

from onewindow.contracts.message import Command, Event
from onewindow.contracts.v1.common import DocumentRef, Employer, Reason, ResolvedDocument


class IdentityCommand(Command):
    CONTEXT = "identity"


class IdentityEvent(Event):
    CONTEXT = "identity"


class VerifyIdentity(IdentityCommand):
    """Verify the person of a case and resolve every document it cites."""

    application_id: str
    nationality: str
    passport_number: str
    passport_expires_on: date
    date_of_birth: date
    employer_uscc: str
    documents: tuple[DocumentRef, ...]
    application_date: date


class CloseCase(IdentityCommand):
    """The case is decided or withdrawn: the person may open a new one with this employer."""

    application_id: str
    outcome: Literal["approved", "refused", "withdrawn"]


Flag = Literal["watchlist_match"]


class IdentityVerified(IdentityEvent):
    application_id: str
    person_ref: str
    employer: Employer
    documents: tuple[ResolvedDocument, ...]
    flags: tuple[Flag, ...] = ()


class IdentityRejected(IdentityEvent):
    application_id: str
    person_ref: str
    reasons: tuple[Reason, ...]
    duplicate_of: str | None = None


class CaseClosed(IdentityEvent):
    application_id: str
    person_ref: str
