"""The work permit: an event-sourced aggregate, one per application.

Its reservation lifecycle (officer's decision, cancel, renew, expire, lapse on issue) is
the kernel's (`onewindow.permits.permit`); what is the work permit's own is here: the
classification and assessment, the issue at the reserved validity, and the extension
within its window (and its reversal when the residence permit cannot follow).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from onewindow.contracts.v1.common import Classification, Reason, ReasonCode
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.permit import ASSESSABLE, Permit
from onewindow.permits.policy import PolicyBook
from onewindow.work_permit.domain import assessment
from onewindow.work_permit.domain.classification import candidate_of, classify
from onewindow.work_permit.domain.events import (
    Assessed,
    DomainEvent,
    Extended,
    ExtensionRefused,
    ExtensionReverted,
    Issued,
    Reserved,
)
from onewindow.work_permit.domain.policy import WorkPermitPolicy
from onewindow.work_permit.domain.reasons import REASONS


class WorkPermit(Permit[Assessed, WorkPermitPolicy]):
    """One applicant's work permit, from assessment to issue and extension."""

    wording = REASONS

    def __init__(self, application_id: str) -> None:
        super().__init__(application_id)
        self.reverted: dict[str, ExtensionReverted] = {}

    @property
    def classification(self) -> Classification | None:
        return self.assessed.classification if self.assessed else None

    # -- decisions -----------------------------------------------------------------------

    def assess(
        self,
        command: AssessWorkPermit,
        policies: PolicyBook[WorkPermitPolicy],
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
        classification = classify(candidate_of(command), policy)
        assessed = Assessed.of(
            command,
            contract_start=command.position.contract_start,
            contract_end=command.position.contract_end,
            employer_uscc=command.employer.uscc,
            classification=classification,
        )
        refusals = assessment.refusal_reasons(command, classification, policy, today)
        review = partial(assessment.review_triggers, command, policy)
        return self._decided(assessed, refusals, review, policies, now, permit_number)

    def issue(self, now: datetime) -> list[DomainEvent]:
        """Issue the reserved permit, valid as reserved. From any other state, or once the
        reservation has lapsed, the answer is an `IssueRejected` that changes nothing."""
        valid_until = self.valid_until
        if valid_until is None:  # never reserved
            return self._reject_issue(now)
        return self._issue(
            now,
            lambda number, _: Issued(permit_number=number, valid_until=valid_until, issued_at=now),
        )

    def extend(
        self,
        extension_id: str,
        permit_number: str,
        contract_end: date,
        requested_on: date,
        policies: PolicyBook[WorkPermitPolicy],
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
            refusal = [REASONS.permit_not_found(permit_number)]
            return self._refuse_extension(extension_id, permit_number, refusal)
        policy = policies.in_force_on(requested_on)
        found: list[Reason] = []
        opens, closes = assessment.extension_window(valid_until, policy)
        if not opens <= requested_on <= closes:
            found.append(
                REASONS.outside_extension_window(
                    opens, closes, valid_until, requested_on, policy.extension_window
                )
            )
        passport = assessed.passport_expires_on
        new_valid_until = assessment.extended_validity(valid_until, contract_end, passport, policy)
        if new_valid_until <= valid_until:
            # Nothing would be gained: say which limit holds the permit where it is.
            found.append(
                REASONS.passport_validity_too_short(
                    passport, valid_until, policy.passport_min_validity_months
                )
                if passport <= valid_until
                else REASONS.contract_not_extended(contract_end, valid_until)
            )
        if found:
            return self._refuse_extension(extension_id, permit_number, found)
        return self.record(
            Extended(
                extension_id=extension_id,
                permit_number=permit_number,
                contract_end=contract_end,
                previous_valid_until=valid_until,
                valid_until=new_valid_until,
            )
        )

    def revert_extension(
        self, extension_id: str, permit_number: str, reason: ReasonCode
    ) -> list[DomainEvent]:
        """Compensation, always answered: undo extension `extension_id` (the validity goes
        back to what it was before it). An extension already undone gives the same answer;
        one that never took effect is answered with the validity as it stands."""
        if extension_id in self.reverted:
            return self.record(self.reverted[extension_id])
        extended = self.extended.get(extension_id)
        restored = extended.previous_valid_until if extended is not None else self.valid_until
        if restored is None:
            return []  # no permit was ever issued under this number here: nothing to answer
        return self.record(
            ExtensionReverted(
                extension_id=extension_id,
                permit_number=permit_number,
                restored_valid_until=restored,
                reason=reason,
            )
        )

    def _refuse_extension(
        self, extension_id: str, permit_number: str, found: list[Reason]
    ) -> list[DomainEvent]:
        return self.record(
            ExtensionRefused(
                extension_id=extension_id, permit_number=permit_number, reasons=tuple(found)
            )
        )

    # -- what the kernel asks of a work permit --------------------------------------------

    def _reserved(
        self,
        assessed: Assessed,
        policy: WorkPermitPolicy,
        permit_number: str,
        reserved_until: datetime,
    ) -> Reserved:
        return Reserved(
            permit_number=permit_number,
            valid_until=assessment.permit_validity(
                assessed.contract_start, assessed.contract_end, assessed.passport_expires_on, policy
            ),
            reserved_until=reserved_until,
            classification=assessed.classification,
        )

    def _apply_own(self, event: DomainEvent) -> None:
        match event:
            case ExtensionReverted():
                # A repeated undo is answered again but restores nothing: an extension
                # granted since the first undo keeps its validity.
                if event.extension_id not in self.reverted:
                    self.valid_until = event.restored_valid_until
                self.reverted[event.extension_id] = event
            case Reserved():
                self.valid_until = event.valid_until
