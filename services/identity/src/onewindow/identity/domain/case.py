"""One case as identity knows it: whose it is, how verification went, whether it is closed.

A case may be verified more than once (documents supplied later are resolved by
a new `VerifyIdentity`); the latest verification counts. Once closed, the case
no longer holds its person's claim on the employer. A case displaced by a verified
applicant's (v1.1) is verified again with the flag `unverified_applicant`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from onewindow.contracts.v1.common import Employer, Reason, ResolvedDocument
from onewindow.contracts.v1.identity import Flag
from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.verification import Rejected, Verification, Verified
from onewindow.runtime.aggregate import Aggregate

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


class CaseDisplaced(DomainEvent):
    """A verified applicant's case (`by`) took the claim on the person from this
    unverified case (v1.1, applicant binding)."""

    application_id: str
    by: str


CASE_EVENTS: tuple[type[DomainEvent], ...] = (
    CaseVerified,
    CaseRejected,
    CaseEnded,
    CaseDisplaced,
)
UNVERIFIED_APPLICANT: Flag = "unverified_applicant"


@dataclass
class IdentityCase(Aggregate[DomainEvent]):
    """The state of one case in the identity service.

    `latest` is the latest verification while it stands (None once a later one
    rejected the case); `displaced_by` the verified applicant's case that displaced
    this one, if any.
    """

    application_id: str
    person_ref: str | None = None
    employer_uscc: str | None = None
    verified: bool = False
    ended: bool = False
    latest: CaseVerified | None = None
    displaced_by: str | None = None

    @classmethod
    def replay(cls, application_id: str, history: Iterable[DomainEvent]) -> IdentityCase:
        case = cls(application_id)
        for event in history:
            case.apply(event)
        return case

    def apply(self, event: DomainEvent) -> None:
        match event:
            case CaseVerified():
                self.person_ref, self.employer_uscc = event.person_ref, event.employer.uscc
                self.verified, self.latest = True, event
            case CaseRejected():
                self.person_ref, self.employer_uscc = event.person_ref, event.employer_uscc
                self.verified, self.latest = False, None
            case CaseEnded():
                self.ended = True
            case CaseDisplaced():
                self.displaced_by = event.by

    def record_verification(
        self, person_ref: str, employer_uscc: str, result: Verification
    ) -> CaseVerified | CaseRejected:
        """Record this verification's result; the event recording it."""
        event: CaseVerified | CaseRejected
        if isinstance(result, Verified):
            event = CaseVerified(
                application_id=self.application_id,
                person_ref=person_ref,
                employer=result.employer,
                documents=result.documents,
                flags=result.flags,
            )
        else:
            assert isinstance(result, Rejected)
            event = CaseRejected(
                application_id=self.application_id,
                person_ref=person_ref,
                employer_uscc=employer_uscc,
                reasons=result.reasons,
                duplicate_of=result.duplicate_of,
            )
        self.record(event)
        return event

    def displace(self, by: str) -> list[DomainEvent]:
        """Record that the verified applicant's case `by` displaced this one.

        An open case whose verification stands is verified again with the flag
        `unverified_applicant` (the event the saga hears, to put it to an officer);
        a case not verified yet gets the flag from its verification. Nothing to record
        for a closed case or one displaced already.
        """
        if self.ended or self.displaced_by is not None:
            return []
        displaced = CaseDisplaced(application_id=self.application_id, by=by)
        latest = self.latest
        if latest is None or UNVERIFIED_APPLICANT in latest.flags:
            return self.record(displaced)
        flagged = latest.model_copy(update={"flags": (*latest.flags, UNVERIFIED_APPLICANT)})
        return self.record(displaced, flagged)

    def end(self, outcome: Outcome) -> list[DomainEvent]:
        """Close the case; closing it again records nothing."""
        if self.ended:
            return []
        return self.record(CaseEnded(application_id=self.application_id, outcome=outcome))
