"""The residence permit for work: an event-sourced aggregate, one per application.

Its methods decide and return new domain events without changing the permit; `apply`
is the only place state changes, so replaying the stored events rebuilds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

from onewindow.contracts.v1.common import LegalBasis, Reason, ReasonCode
from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.residence_permit.domain import reasons
from onewindow.residence_permit.domain.assessment import (
    permit_validity,
    refusal_reasons,
    review_triggers,
)
from onewindow.residence_permit.domain.errors import PermitNumberNeeded
from onewindow.residence_permit.domain.events import (
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
from onewindow.residence_permit.domain.policy import PolicyBook

State = Literal[
    "new", "review_required", "reserved", "issued", "refused", "cancelled", "expired", "revoked"
]
ASSESSABLE: frozenset[State] = frozenset({"new", "review_required"})
CANCELLABLE: frozenset[State] = frozenset({"new", "review_required", "reserved", "expired"})
# The legal basis of a revocation (this project's policy identifier and article).
REVOCATION_BASIS = LegalBasis(policy="one-window-2026.1-shanghai", article="§9.2")


class ResidencePermit:
    """One applicant's residence permit for work, from assessment to issue and extension."""

    def __init__(self, application_id: str) -> None:
        self.application_id = application_id
        self.state: State = "new"
        self.assessed: Assessed | None = None
        self.permit_number: str | None = None
        self.work_permit_number: str | None = None
        self.valid_until: date | None = None
        self.reserved_until: datetime | None = None
        self.reasons: tuple[Reason, ...] = ()
        self.extensions: set[str] = set()
        self.revoked: Revoked | None = None

    @classmethod
    def replay(cls, application_id: str, events: Iterable[DomainEvent]) -> ResidencePermit:
        """The permit as its stored history left it."""
        permit = cls(application_id)
        for event in events:
            permit.apply(event)
        return permit

    # -- decisions -----------------------------------------------------------------------

    def assess(
        self,
        command: AssessResidencePermit,
        policies: PolicyBook,
        now: datetime,
        permit_number: str | None = None,
    ) -> list[DomainEvent]:
        """Assess: refused (every reason), review required, or reserved.

        Only a new permit, or one waiting for review, is assessed; otherwise nothing
        changes. Raises `PermitNumberNeeded` when it would reserve without a number.
        """
        if self.state not in ASSESSABLE:
            return []
        policy = policies.in_force_on(command.application_date)
        assessed = Assessed(
            application_id=command.application_id,
            person_ref=command.person_ref,
            application_date=command.application_date,
            date_of_birth=command.date_of_birth,
            passport_expires_on=command.passport_expires_on,
        )
        refusals = refusal_reasons(command, policy)
        if refusals:
            return [assessed, Refused(reasons=tuple(refusals))]
        review = review_triggers(command, policy)
        if review.reasons:
            return [
                assessed,
                ReviewRequired(reasons=review.reasons, missing_documents=review.missing_documents),
            ]
        return [assessed, self._reservation(assessed, policies, now, permit_number)]

    def record_officer_decision(
        self,
        decision: Literal["approve", "refuse"],
        officer: str,
        reason: str,
        policies: PolicyBook,
        now: datetime,
        permit_number: str | None = None,
    ) -> list[DomainEvent]:
        """An officer's decision on a permit in review; outside review nothing changes."""
        if self.state != "review_required" or self.assessed is None:
            return []
        recorded = OfficerDecisionRecorded(
            decision=decision, officer=officer, reason=reason, recorded_at=now
        )
        if decision == "refuse":
            return [recorded, Refused(reasons=(reasons.refused_by_officer(officer, reason),))]
        return [recorded, self._reservation(self.assessed, policies, now, permit_number)]

    def _reservation(
        self, assessed: Assessed, policies: PolicyBook, now: datetime, permit_number: str | None
    ) -> Reserved:
        if permit_number is None:
            raise PermitNumberNeeded(self.application_id)
        policy = policies.in_force_on(assessed.application_date)
        lapses = now + timedelta(days=policy.reservation_days)
        # Whole seconds, so every store keeps the moment exactly (BSON dates hold ms).
        return Reserved(permit_number=permit_number, reserved_until=lapses.replace(microsecond=0))

    def issue(
        self, work_permit_number: str, work_permit_valid_until: date, now: datetime
    ) -> list[DomainEvent]:
        """Issue the reserved permit beside its work permit, valid until
        min(work permit validity, passport expiry). From any other state, or once the
        reservation has lapsed, an `IssueRejected` that changes nothing."""
        number, assessed = self.permit_number, self.assessed
        if self.state != "reserved" or number is None or assessed is None:
            return [IssueRejected(state=self.state, rejected_at=now)]
        if self._lapsed(now):
            return [
                ReservationExpired(permit_number=number, expired_at=now),
                IssueRejected(state="expired", rejected_at=now),
            ]
        valid_until = permit_validity(work_permit_valid_until, assessed.passport_expires_on)
        return [
            Issued(
                permit_number=number,
                work_permit_number=work_permit_number,
                valid_until=valid_until,
                issued_at=now,
            )
        ]

    def cancel_reservation(self, reason: ReasonCode, now: datetime) -> list[DomainEvent]:
        """Compensation, answered in every state: a reservation (or a permit not yet
        decided, or a lapsed reservation) is released; an issued permit is revoked. A permit
        already released, refused or revoked gives the same answer again, so a saga that
        asks twice is answered twice and its case never waits."""
        if self.state == "issued" and self.permit_number is not None:
            return [
                Revoked(
                    permit_number=self.permit_number,
                    reason=reason,
                    legal_basis=REVOCATION_BASIS,
                    revoked_at=now,
                )
            ]
        if self.state == "revoked" and self.revoked is not None:
            return [self.revoked]
        # A number is only named while it is reserved; an earlier one was never held.
        number = self.permit_number if self.state == "reserved" else None
        return [ReservationCancelled(permit_number=number, reason=reason, cancelled_at=now)]

    def renew_reservation(self, policies: PolicyBook, now: datetime) -> list[DomainEvent]:
        """Reserve again, under the same number, a reservation that lapsed (or is about to)
        while the case waited; anything else cannot be renewed and is answered with an
        `IssueRejected` naming the state."""
        number, assessed = self.permit_number, self.assessed
        if self.state not in ("reserved", "expired") or number is None or assessed is None:
            return [IssueRejected(state=self.state, rejected_at=now)]
        return [self._reservation(assessed, policies, now, number)]

    def expire_reservation(self, now: datetime) -> list[DomainEvent]:
        """Let a reservation never confirmed lapse once its period has passed."""
        if self.state == "reserved" and self.permit_number is not None and self._lapsed(now):
            return [ReservationExpired(permit_number=self.permit_number, expired_at=now)]
        return []

    def _lapsed(self, now: datetime) -> bool:
        return self.reserved_until is not None and now >= self.reserved_until

    def extend(self, extension_id: str, work_permit_valid_until: date) -> list[DomainEvent]:
        """Follow the work permit's extension: the new validity is
        min(new work permit validity, passport expiry). Only an issued permit is extended;
        an extension already decided is not decided again."""
        if extension_id in self.extensions:
            return []
        number, valid_until, assessed = self.permit_number, self.valid_until, self.assessed
        if self.state != "issued" or number is None or valid_until is None or assessed is None:
            refusal = reasons.permit_not_issued(self.application_id, self.state)
            return [ExtensionRefused(extension_id=extension_id, reasons=(refusal,))]
        return [
            Extended(
                extension_id=extension_id,
                permit_number=number,
                work_permit_valid_until=work_permit_valid_until,
                previous_valid_until=valid_until,
                valid_until=permit_validity(work_permit_valid_until, assessed.passport_expires_on),
            )
        ]

    # -- state ---------------------------------------------------------------------------

    def apply(self, event: DomainEvent) -> None:
        """Change state by one event; the only place state changes."""
        match event:
            case Assessed():
                self.assessed = event
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
                self.state = "issued"
                self.work_permit_number = event.work_permit_number
                self.valid_until = event.valid_until
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
            case ExtensionRefused():
                self.extensions.add(event.extension_id)
            case OfficerDecisionRecorded() | IssueRejected():
                pass  # recorded for the audit trail; the state stays as it was
