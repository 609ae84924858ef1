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
    # v1.1: the passport (`NAT:NUMBER`) the submitting account is verified for, if any.
    # A verified applicant's case is never blocked by an unverified one's open claim.
    verified_passport: str | None = None


class CloseCase(IdentityCommand):
    """The case is decided or withdrawn: the person may open a new one with this employer."""

    application_id: str
    outcome: Literal["approved", "refused", "withdrawn"]


# `unverified_applicant` (v1.1): the case, submitted by an account not verified for the
# passport, was displaced by a verified applicant's case; an officer looks at it.
Flag = Literal["watchlist_match", "unverified_applicant"]


class IdentityVerified(IdentityEvent):
    """The person and documents of a case are verified; flags send it to an officer.

    Sent again, with the new flag, when identity learns something of a case it had
    verified (v1.1: `unverified_applicant`, once a verified applicant displaced it).
    """

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
