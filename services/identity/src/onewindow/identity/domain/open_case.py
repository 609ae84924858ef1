"""The open case of one person with one employer: at most one at a time.

A second application by the same person to the same employer while the first is
still open is a duplicate. The claim is one small aggregate per (person,
employer), so taking it is one atomic append guarded by its version: of two
cases racing for it, exactly one wins and the other sees the winner.

Verified applicants (DOMAIN.md "Evidence", applicant binding): a case whose
submitter's account was verified for the person's passport is never a duplicate
of a case whose submitter's was not. It takes the claim over and the unverified
case is *displaced*: it no longer holds the claim, never takes it again, and goes
to an officer (flag `unverified_applicant`) instead of blocking the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from onewindow.identity.domain.events import DomainEvent
from onewindow.runtime.aggregate import Aggregate


class CaseClaimed(DomainEvent):
    application_id: str
    # v1.1: whether the case's submitter was verified for the person's passport, and
    # the unverified case the claim was taken from (absent in older events: neither).
    verified: bool = False
    displaced: str | None = None


class CaseReleased(DomainEvent):
    application_id: str


OPEN_CASE_EVENTS: tuple[type[DomainEvent], ...] = (CaseClaimed, CaseReleased)


class CaseAlreadyOpen(Exception):
    """Another case of this person with this employer is open."""

    def __init__(self, open_application_id: str) -> None:
        super().__init__(f"case {open_application_id} is open")
        self.open_application_id = open_application_id


@dataclass
class OpenCase(Aggregate[DomainEvent]):
    """Which application, if any, holds the claim of one (person, employer).

    `holder_verified` says whether the holder's submitter was verified for the
    passport; `displaced` maps each case a verified applicant's case displaced to
    the case that displaced it.
    """

    holder: str | None = None
    holder_verified: bool = False
    displaced: dict[str, str] = field(default_factory=dict)

    @classmethod
    def replay(cls, history: Iterable[DomainEvent]) -> OpenCase:
        claim = cls()
        for event in history:
            claim.apply(event)
        return claim

    def apply(self, event: DomainEvent) -> None:
        match event:
            case CaseClaimed():
                if event.displaced is not None:
                    self.displaced[event.displaced] = event.application_id
                self.holder, self.holder_verified = event.application_id, event.verified
            case CaseReleased() if event.application_id == self.holder:
                self.holder, self.holder_verified = None, False

    def was_displaced(self, application_id: str) -> bool:
        """Whether a verified applicant's case took the claim from this one."""
        return application_id in self.displaced

    def displaced_by(self, application_id: str) -> tuple[str, ...]:
        """The cases this one displaced (sorted)."""
        return tuple(sorted(d for d, by in self.displaced.items() if by == application_id))

    def duplicate_for(self, application_id: str, *, verified: bool = False) -> str | None:
        """The open application this one would duplicate, or None.

        A case of a verified applicant (`verified`) never duplicates an unverified
        holder's: it displaces it.
        """
        if self.holder is None or self.holder == application_id:
            return None
        if verified and not self.holder_verified:
            return None
        return self.holder

    def claim(self, application_id: str, *, verified: bool = False) -> list[DomainEvent]:
        """Take the claim for this application (nothing to do if it already holds it).

        A verified applicant's case takes it from an unverified holder, naming the case
        it displaced; a displaced case never takes it again (nothing to record). Raises
        `CaseAlreadyOpen` when the claim is another's to keep.
        """
        if self.was_displaced(application_id):
            return []
        if (other := self.duplicate_for(application_id, verified=verified)) is not None:
            raise CaseAlreadyOpen(other)
        if self.holder == application_id:
            return []
        return self.record(
            CaseClaimed(application_id=application_id, verified=verified, displaced=self.holder)
        )

    def release(self, application_id: str) -> list[DomainEvent]:
        """Let go of the claim if this application holds it; another's claim is left alone."""
        if self.holder != application_id:
            return []
        return self.record(CaseReleased(application_id=application_id))
