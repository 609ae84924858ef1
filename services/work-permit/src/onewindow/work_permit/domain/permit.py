"""The work permit: an event-sourced aggregate, one per application.

Its methods decide and return the new domain events without changing the permit;
`apply` is the only place state changes, so replaying the stored events rebuilds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

from onewindow.contracts.v1.common import Classification, LegalBasis, Reason, ReasonCode
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.work_permit.domain import reasons
from onewindow.work_permit.domain.assessment import (
    extended_validity,
    extension_window,
    permit_validity,
    refusal_reasons,
    review_triggers,
)
from onewindow.work_permit.domain.classification import Candidate, classify
from onewindow.work_permit.domain.errors import PermitNumberNeeded
from onewindow.work_permit.domain.events import (
    Assessed,
    DomainEvent,
    Extended,
    ExtensionRefused,
    ExtensionReverted,
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
from onewindow.work_permit.domain.policy import PolicyBook

State = Literal[
    "new", "review_required", "reserved", "issued", "refused", "cancelled", "expired", "revoked"
]
ASSESSABLE: frozenset[State] = frozenset({"new", "review_required"})
CANCELLABLE: frozenset[State] = frozenset({"new", "review_required", "reserved", "expired"})
# The legal basis of a revocation (this project's policy identifier and article).
REVOCATION_BASIS = LegalBasis(policy="one-window-2026.1-shanghai", article="§9.2")


class WorkPermit:
    """One applicant's work permit, from assessment to issue and extension."""

    def __init__(self, application_id: str) -> None:
        self.application_id = application_id
        self.state: State = "new"
        self.assessed: Assessed | None = None
        self.permit_number: str | None = None
        self.valid_until: date | None = None
        self.reserved_until: datetime | None = None
        self.reasons: tuple[Reason, ...] = ()
        self.extensions: set[str] = set()
        self.revoked: Revoked | None = None
        self.extended: dict[str, Extended] = {}
        self.reverted: dict[str, ExtensionReverted] = {}

    @classmethod
    def replay(cls, application_id: str, events: Iterable[DomainEvent]) -> WorkPermit:
        """The permit as its stored history left it."""
        permit = cls(application_id)
        for event in events:
            permit.apply(event)
        return permit

    @property
    def classification(self) -> Classification | None:
        return self.assessed.classification if self.assessed else None

    # -- decisions -----------------------------------------------------------------------

    def assess(
        self,
        command: AssessWorkPermit,
        policies: PolicyBook,
        now: datetime,
        today: date,
        permit_number: str | None = None,
    ) -> list[DomainEvent]:
        """Classify and assess: refused (every reason), review required, or reserved.

        Only a new permit, or one waiting for review (documents supplied since), is
        assessed; in any other state the command changes nothing. Raises
        `PermitNumberNeeded` when it would reserve but was given no number.
        """
        if self.state not in ASSESSABLE:
            return []
        policy = policies.in_force_on(command.application_date)
        classification = classify(
            Candidate(
                date_of_birth=command.date_of_birth,
                position=command.position,
                qualifications=command.qualifications,
                documents=command.documents,
                application_date=command.application_date,
            ),
            policy,
        )
        assessed = Assessed(
            application_id=command.application_id,
            person_ref=command.person_ref,
            application_date=command.application_date,
            passport_expires_on=command.passport_expires_on,
            contract_start=command.position.contract_start,
            contract_end=command.position.contract_end,
            employer_uscc=command.employer.uscc,
            classification=classification,
        )
        refusals = refusal_reasons(command, classification, policy, today)
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
            return [recorded, Refused(reasons=(reasons.refused_by_officer(officer, reason),))]
        return [recorded, self._reservation(self.assessed, policies, now, permit_number)]

    def _reservation(
        self,
        assessed: Assessed,
        policies: PolicyBook,
        now: datetime,
        permit_number: str | None,
    ) -> Reserved:
        if permit_number is None:
            raise PermitNumberNeeded(self.application_id)
        policy = policies.in_force_on(assessed.application_date)
        return Reserved(
            permit_number=permit_number,
            valid_until=permit_validity(
                assessed.contract_start,
                assessed.contract_end,
                assessed.passport_expires_on,
                policy,
            ),
            # Whole seconds, so every store keeps the moment exactly (BSON dates hold ms).
            reserved_until=(now + timedelta(days=policy.reservation_days)).replace(microsecond=0),
            classification=assessed.classification,
        )

    def issue(self, now: datetime) -> list[DomainEvent]:
        """Issue the reserved permit. From any other state, or once the reservation has
        lapsed, the answer is an `IssueRejected` that changes nothing."""
        number, valid_until = self.permit_number, self.valid_until
        if self.state != "reserved" or number is None or valid_until is None:
            return [IssueRejected(state=self.state, rejected_at=now)]
        if self._lapsed(now):
            return [
                ReservationExpired(permit_number=number, expired_at=now),
                IssueRejected(state="expired", rejected_at=now),
            ]
        return [Issued(permit_number=number, valid_until=valid_until, issued_at=now)]

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

    def extend(
        self,
        extension_id: str,
        permit_number: str,
        contract_end: date,
        requested_on: date,
        policies: PolicyBook,
    ) -> list[DomainEvent]:
        """Extend an issued permit when asked 30–90 days before it expires (policy values);
        otherwise refuse with every reason, the window's dates among them. An extension
        already decided is not decided again."""
        if extension_id in self.extensions:
            return []
        valid_until, assessed = self.valid_until, self.assessed
        if (
            self.state != "issued"
            or self.permit_number != permit_number
            or valid_until is None
            or assessed is None
        ):
            refusal = [reasons.permit_not_found(permit_number)]
            return [self._extension_refused(extension_id, permit_number, refusal)]
        policy = policies.in_force_on(requested_on)
        found: list[Reason] = []
        opens, closes = extension_window(valid_until, policy)
        if not opens <= requested_on <= closes:
            found.append(
                reasons.outside_extension_window(
                    opens, closes, valid_until, requested_on, policy.extension_window
                )
            )
        passport = assessed.passport_expires_on
        new_valid_until = extended_validity(valid_until, contract_end, passport, policy)
        if new_valid_until <= valid_until:
            # Nothing would be gained: say which limit holds the permit where it is.
            found.append(
                reasons.passport_validity_too_short(
                    passport, valid_until, policy.passport_min_validity_months
                )
                if passport <= valid_until
                else reasons.contract_not_extended(contract_end, valid_until)
            )
        if found:
            return [self._extension_refused(extension_id, permit_number, found)]
        return [
            Extended(
                extension_id=extension_id,
                permit_number=permit_number,
                contract_end=contract_end,
                previous_valid_until=valid_until,
                valid_until=new_valid_until,
            )
        ]

    def revert_extension(
        self, extension_id: str, permit_number: str, reason: ReasonCode
    ) -> list[DomainEvent]:
        """Compensation, always answered: undo extension `extension_id` (the validity goes
        back to what it was before it). An extension already undone gives the same answer;
        one that never took effect is answered with the validity as it stands."""
        if extension_id in self.reverted:
            return [self.reverted[extension_id]]
        extended = self.extended.get(extension_id)
        restored = extended.previous_valid_until if extended is not None else self.valid_until
        if restored is None:
            return []  # no permit was ever issued under this number here: nothing to answer
        return [
            ExtensionReverted(
                extension_id=extension_id,
                permit_number=permit_number,
                restored_valid_until=restored,
                reason=reason,
            )
        ]

    @staticmethod
    def _extension_refused(
        extension_id: str, permit_number: str, found: list[Reason]
    ) -> ExtensionRefused:
        return ExtensionRefused(
            extension_id=extension_id, permit_number=permit_number, reasons=tuple(found)
        )

    # -- state ---------------------------------------------------------------------------

    def apply(self, event: DomainEvent) -> None:
        """Change state by one event; the only place state changes."""
        match event:
            case Assessed():
                self.assessed = event
            case Reserved():
                self.state = "reserved"
                self.permit_number = event.permit_number
                self.valid_until = event.valid_until
                self.reserved_until = event.reserved_until
                self.reasons = ()
            case Refused():
                self.state, self.reasons = "refused", event.reasons
            case ReviewRequired():
                self.state, self.reasons = "review_required", event.reasons
            case Issued():
                self.state = "issued"
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
            case ExtensionReverted():
                self.reverted[event.extension_id] = event
                self.valid_until = event.restored_valid_until
            case ExtensionRefused():
                self.extensions.add(event.extension_id)
            case OfficerDecisionRecorded() | IssueRejected():
                pass  # recorded for the audit trail; the state stays as it was
