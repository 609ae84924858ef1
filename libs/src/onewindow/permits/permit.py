"""A permit as an event-sourced aggregate, one per application: the reservation
lifecycle every permit shares, as a base class a service's permit extends.

    new ─┬─ refused
         ├─ review_required ─(officer or documents)─┐
         └──────────────────────────────────────────┴─ reserved ─┬─ issued ── revoked
                                                                 ├─ expired ─(renew)─ reserved
                                                                 └─ cancelled

The permit follows the one aggregate convention (`onewindow.runtime.aggregate`): `replay`
rebuilds it, `apply` is the only place state changes, and a decision records the events it
decides (`self.record`: applied at once) and returns them. A decision works out all its
events before it records any, so one that raises `PermitNumberNeeded` has changed nothing
and is simply taken again with a number. A service's permit adds its assessment, its issue
and its extension, says how it words its reasons (`wording`: its side and its legal
bases), and through two small methods what its reservation holds and what its own events
change.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar, Generic, Literal, Self, TypeVar, cast

from onewindow.contracts.v1.common import LegalBasis, Reason, ReasonCode
from onewindow.permits.events import (
    Assessed,
    DomainEvent,
    Extended,
    ExtensionRefused,
    Issued,
    IssueRejected,
    OfficerDecisionRecorded,
    Refused,
    ReservationCancelled,
    ReservationExpired,
    Reserved,
    ReviewRequired,
    Revoked,
)
from onewindow.permits.policy import PolicyBook, PolicyT
from onewindow.permits.reasons import Reasons
from onewindow.runtime.aggregate import Aggregate

State = Literal[
    "new", "review_required", "reserved", "issued", "refused", "cancelled", "expired", "revoked"
]
ASSESSABLE: frozenset[State] = frozenset({"new", "review_required"})
# The legal basis of a revocation (this project's policy identifier and article).
REVOCATION_BASIS = LegalBasis(policy="one-window-2026.1-shanghai", article="§9.2")

AssessedT = TypeVar("AssessedT", bound=Assessed)


class PermitNumberNeeded(Exception):
    """The decision reserves a permit and needs a freshly allocated number to do so.

    The application layer allocates one (numbers are never reused) and decides again.
    """


@dataclass(frozen=True, slots=True)
class Review:
    """Why an officer or the applicant must act before a decision (the documents asked
    of the applicant named in `missing_documents`)."""

    reasons: tuple[Reason, ...]
    missing_documents: tuple[str, ...]


class Permit(Aggregate[DomainEvent], Generic[AssessedT, PolicyT]):
    """One applicant's permit, from assessment to issue and extension."""

    # How the service words its permit's reasons: its side, and the article each rests on.
    wording: ClassVar[Reasons]

    def __init__(self, application_id: str) -> None:
        self.application_id = application_id
        self.state: State = "new"
        self.assessed: AssessedT | None = None
        self.permit_number: str | None = None
        self.valid_until: date | None = None
        self.reserved_until: datetime | None = None
        self.reasons: tuple[Reason, ...] = ()
        self.extensions: set[str] = set()
        self.extended: dict[str, Extended] = {}
        self.revoked: Revoked | None = None

    @classmethod
    def replay(cls, application_id: str, events: Iterable[DomainEvent]) -> Self:
        """The permit as its stored history left it."""
        permit = cls(application_id)
        for event in events:
            permit.apply(event)
        return permit

    # -- what a service's permit says ------------------------------------------------------

    @abstractmethod
    def _reserved(
        self, assessed: AssessedT, policy: PolicyT, permit_number: str, reserved_until: datetime
    ) -> Reserved:
        """The service's reservation of `permit_number` (what else it fixes, e.g. validity)."""

    def _apply_own(self, event: DomainEvent) -> None:
        """What the service's own events change beyond the lifecycle (called for every
        event, after the lifecycle's own change); by default nothing."""

    # -- decisions every permit takes the same way -----------------------------------------

    def record_officer_decision(
        self,
        decision: Literal["approve", "refuse"],
        officer: str,
        reason: str,
        policies: PolicyBook[PolicyT],
        now: datetime,
        permit_number: str | None = None,
    ) -> list[DomainEvent]:
        """An officer's decision on a permit in review: approval reserves, refusal refuses.

        Outside review it changes nothing. Approval raises `PermitNumberNeeded` without
        a number.
        """
        if self.state != "review_required" or self.assessed is None:
            return []
        recorded = OfficerDecisionRecorded(
            decision=decision, officer=officer, reason=reason, recorded_at=now
        )
        if decision == "refuse":
            # The reasons under review say what the officer refused: an upload-only review
            # refused is `document_unverified`.
            refusal = self.wording.refused_by_officer(officer, reason, under_review=self.reasons)
            return self.record(recorded, Refused(reasons=(refusal,)))
        return self.record(recorded, self._reserve(self.assessed, policies, now, permit_number))

    def cancel_reservation(self, reason: ReasonCode, now: datetime) -> list[DomainEvent]:
        """Compensation, answered in every state: a reservation (or a permit not yet
        decided, or a lapsed reservation) is released; an issued permit is revoked. A permit
        already released, refused or revoked gives the same answer again, so a saga that
        asks twice is answered twice and its case never waits."""
        if self.state == "issued" and self.permit_number is not None:
            return self.record(
                Revoked(
                    permit_number=self.permit_number,
                    reason=reason,
                    legal_basis=REVOCATION_BASIS,
                    revoked_at=now,
                )
            )
        if self.state == "revoked" and self.revoked is not None:
            return self.record(self.revoked)
        # A number is only named while it is reserved; an earlier one was never held.
        number = self.permit_number if self.state == "reserved" else None
        return self.record(
            ReservationCancelled(permit_number=number, reason=reason, cancelled_at=now)
        )

    def renew_reservation(self, policies: PolicyBook[PolicyT], now: datetime) -> list[DomainEvent]:
        """Reserve again, under the same number, a reservation that lapsed (or is about to)
        while the case waited; anything else cannot be renewed and is answered with an
        `IssueRejected` naming the state."""
        number, assessed = self.permit_number, self.assessed
        if self.state not in ("reserved", "expired") or number is None or assessed is None:
            return self._reject_issue(now)
        return self.record(self._reserve(assessed, policies, now, number))

    def expire_reservation(self, now: datetime) -> list[DomainEvent]:
        """Let a reservation never confirmed lapse once its period has passed."""
        if self.state == "reserved" and self.permit_number is not None and self._lapsed(now):
            return self.record(ReservationExpired(permit_number=self.permit_number, expired_at=now))
        return []

    # -- steps of a service's own decisions ------------------------------------------------

    def _decided(
        self,
        assessed: AssessedT,
        refusals: Sequence[Reason],
        review: Callable[[], Review],
        policies: PolicyBook[PolicyT],
        now: datetime,
        permit_number: str | None,
    ) -> list[DomainEvent]:
        """Record an assessment's answer: refused with every reason; else, when `review`
        finds anything, review required; else reserved (`PermitNumberNeeded` without a
        number, before anything is recorded)."""
        if refusals:
            return self.record(assessed, Refused(reasons=tuple(refusals)))
        found = review()
        if found.reasons:
            return self.record(
                assessed,
                ReviewRequired(reasons=found.reasons, missing_documents=found.missing_documents),
            )
        return self.record(assessed, self._reserve(assessed, policies, now, permit_number))

    def _issue(
        self, now: datetime, issued: Callable[[str, AssessedT], Issued]
    ) -> list[DomainEvent]:
        """Issue the reserved permit as `issued(number, assessed)` says. From any other
        state, or once the reservation has lapsed, the answer is an `IssueRejected` that
        changes nothing (after the lapse is recorded)."""
        number, assessed = self.permit_number, self.assessed
        if self.state != "reserved" or number is None or assessed is None:
            return self._reject_issue(now)
        if self._lapsed(now):
            lapsed = self.record(ReservationExpired(permit_number=number, expired_at=now))
            return lapsed + self._reject_issue(now)
        return self.record(issued(number, assessed))

    def _reject_issue(self, now: datetime) -> list[DomainEvent]:
        """Record that an issue (or renewal) was asked in a state that allows none."""
        return self.record(IssueRejected(state=self.state, rejected_at=now))

    def _reserve(
        self,
        assessed: AssessedT,
        policies: PolicyBook[PolicyT],
        now: datetime,
        permit_number: str | None,
    ) -> Reserved:
        if permit_number is None:
            raise PermitNumberNeeded(self.application_id)
        policy = policies.in_force_on(assessed.application_date)
        lapses = now + timedelta(days=policy.reservation_days)
        # Whole seconds, so every store keeps the moment exactly (BSON dates hold ms).
        return self._reserved(assessed, policy, permit_number, lapses.replace(microsecond=0))

    def _lapsed(self, now: datetime) -> bool:
        return self.reserved_until is not None and now >= self.reserved_until

    # -- state -----------------------------------------------------------------------------

    def apply(self, event: DomainEvent) -> None:
        """Change state by one event; the only place state changes."""
        match event:
            case Assessed():
                # A permit's stream holds its own service's assessment only.
                self.assessed = cast(AssessedT, event)
            case Reserved():
                self.state = "reserved"
                self.permit_number = event.permit_number
                self.reserved_until = event.reserved_until
                self.reasons = ()
            case Refused():
                self.state, self.reasons = "refused", event.reasons
            case ReviewRequired():
                self.state, self.reasons = "review_required", event.reasons
            case Issued():
                self.state, self.valid_until = "issued", event.valid_until
            case ReservationCancelled():
                if self.state != "refused":  # a refusal stays the permit's answer
                    self.state = "cancelled"
            case Revoked():
                self.state, self.revoked = "revoked", event
            case ReservationExpired():
                self.state = "expired"
            case Extended():
                self.extensions.add(event.extension_id)
                self.valid_until = event.valid_until
                self.extended[event.extension_id] = event
            case ExtensionRefused():
                self.extensions.add(event.extension_id)
            case _:
                pass  # the officer's record and a rejected issue change no lifecycle state
        self._apply_own(event)
