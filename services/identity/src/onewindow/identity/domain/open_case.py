"""The open case of one person with one employer: at most one at a time.

A second application by the same person to the same employer while the first is
still open is a duplicate. The claim is one small aggregate per (person,
employer), so taking it is one atomic append guarded by its version: of two
cases racing for it, exactly one wins and the other sees the winner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from onewindow.identity.domain.events import DomainEvent


class CaseClaimed(DomainEvent):
    application_id: str


class CaseReleased(DomainEvent):
    application_id: str


OPEN_CASE_EVENTS: tuple[type[DomainEvent], ...] = (CaseClaimed, CaseReleased)


class CaseAlreadyOpen(Exception):
    """Another case of this person with this employer is open."""

    def __init__(self, open_application_id: str) -> None:
        super().__init__(f"case {open_application_id} is open")
        self.open_application_id = open_application_id


@dataclass(frozen=True, slots=True)
class OpenCase:
    """Which application, if any, holds the claim of one (person, employer)."""

    holder: str | None = None

    @classmethod
    def from_history(cls, history: Iterable[DomainEvent]) -> OpenCase:
        holder: str | None = None
        for event in history:
            if isinstance(event, CaseClaimed):
                holder = event.application_id
            elif isinstance(event, CaseReleased) and event.application_id == holder:
                holder = None
        return cls(holder)

    def duplicate_for(self, application_id: str) -> str | None:
        """The open application this one would duplicate, or None."""
        if self.holder is None or self.holder == application_id:
            return None
        return self.holder

    def claim(self, application_id: str) -> tuple[DomainEvent, ...]:
        """Take the claim for this application (nothing to do if it already holds it)."""
        if (other := self.duplicate_for(application_id)) is not None:
            raise CaseAlreadyOpen(other)
        if self.holder == application_id:
            return ()
        return (CaseClaimed(application_id=application_id),)

    def release(self, application_id: str) -> tuple[DomainEvent, ...]:
        """Let go of the claim if this application holds it; another's claim is left alone."""
        if self.holder != application_id:
            return ()
        return (CaseReleased(application_id=application_id),)
