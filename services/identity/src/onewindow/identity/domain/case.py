"""One case as identity knows it: whose it is, how verification went, whether it is closed.

A case may be verified more than once (documents supplied later are resolved by
a new `VerifyIdentity`); the latest verification counts. Once closed, the case
no longer holds its person's claim on the employer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from onewindow.contracts.v1.common import Employer, Reason, ResolvedDocument
from onewindow.contracts.v1.identity import Flag
from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.verification import Rejected, Verification, Verified

Outcome = Literal["approved", "refused", "withdrawn"]


class CaseVerified(DomainEvent):
    application_id: str
    person_ref: str
    employer: Employer
    documents: tuple[ResolvedDocument, ...]
    flags: tuple[Flag, ...] = ()


class CaseRejected(DomainEvent):
    application_id: str
    person_ref: str
    employer_uscc: str
    reasons: tuple[Reason, ...]
    duplicate_of: str | None = None


class CaseEnded(DomainEvent):
    application_id: str
    outcome: Outcome


CASE_EVENTS: tuple[type[DomainEvent], ...] = (CaseVerified, CaseRejected, CaseEnded)


@dataclass(frozen=True, slots=True)
class IdentityCase:
    """The state of one case in the identity service."""

    application_id: str
    person_ref: str | None = None
    employer_uscc: str | None = None
    verified: bool = False
    ended: bool = False

    @classmethod
    def from_history(cls, application_id: str, history: Iterable[DomainEvent]) -> IdentityCase:
        case = cls(application_id)
        for event in history:
            case = case._apply(event)
        return case

    def _apply(self, event: DomainEvent) -> IdentityCase:
        if isinstance(event, CaseVerified):
            return IdentityCase(
                self.application_id, event.person_ref, event.employer.uscc, True, self.ended
            )
        if isinstance(event, CaseRejected):
            return IdentityCase(
                self.application_id, event.person_ref, event.employer_uscc, False, self.ended
            )
        if isinstance(event, CaseEnded):
            return IdentityCase(
                self.application_id, self.person_ref, self.employer_uscc, self.verified, True
            )
        return self

    def record_verification(
        self, person_ref: str, employer_uscc: str, result: Verification
    ) -> CaseVerified | CaseRejected:
        """The event recording this verification's result."""
        if isinstance(result, Verified):
            return CaseVerified(
                application_id=self.application_id,
                person_ref=person_ref,
                employer=result.employer,
                documents=result.documents,
                flags=result.flags,
            )
        assert isinstance(result, Rejected)
        return CaseRejected(
            application_id=self.application_id,
            person_ref=person_ref,
            employer_uscc=employer_uscc,
            reasons=result.reasons,
            duplicate_of=result.duplicate_of,
        )

    def end(self, outcome: Outcome) -> tuple[DomainEvent, ...]:
        """Close the case; closing it again records nothing."""
        if self.ended:
            return ()
        return (CaseEnded(application_id=self.application_id, outcome=outcome),)
