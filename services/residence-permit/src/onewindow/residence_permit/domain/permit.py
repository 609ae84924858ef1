"""The residence permit for work: an event-sourced aggregate, one per application.

Its reservation lifecycle (officer's decision, cancel, renew, expire, lapse on issue) is
the kernel's (`onewindow.permits.permit`); what is the residence permit's own is here:
the assessment, and an issue and extension that follow the work permit's validity.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.permits.permit import ASSESSABLE, Permit
from onewindow.permits.policy import PolicyBook
from onewindow.residence_permit.domain import assessment
from onewindow.residence_permit.domain.events import (
    Assessed,
    DomainEvent,
    Extended,
    ExtensionRefused,
    Issued,
    Reserved,
)
from onewindow.residence_permit.domain.policy import ResidencePermitPolicy
from onewindow.residence_permit.domain.reasons import REASONS


class ResidencePermit(Permit[Assessed, ResidencePermitPolicy]):
    """One applicant's residence permit for work, from assessment to issue and extension."""

    wording = REASONS

    # -- decisions -----------------------------------------------------------------------

    def assess(
        self,
        command: AssessResidencePermit,
        policies: PolicyBook[ResidencePermitPolicy],
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
        assessed = Assessed.of(command, date_of_birth=command.date_of_birth)
        refusals = assessment.refusal_reasons(command, policy)
        review = partial(assessment.review_triggers, command, policy)
        return self._decided(assessed, refusals, review, policies, now, permit_number)

    def issue(
        self, work_permit_number: str, work_permit_valid_until: date, now: datetime
    ) -> list[DomainEvent]:
        """Issue the reserved permit beside its work permit, valid until
        min(work permit validity, passport expiry). From any other state, or once the
        reservation has lapsed, an `IssueRejected` that changes nothing."""
        return self._issue(
            now,
            lambda number, assessed: Issued(
                permit_number=number,
                work_permit_number=work_permit_number,
                valid_until=assessment.permit_validity(
                    work_permit_valid_until, assessed.passport_expires_on
                ),
                issued_at=now,
            ),
        )

    def extend(self, extension_id: str, work_permit_valid_until: date) -> list[DomainEvent]:
        """Follow the work permit's extension: the new validity is
        min(new work permit validity, passport expiry). Only an issued permit is extended;
        an extension already decided is not decided again."""
        if extension_id in self.extensions:
            return []
        number, valid_until, assessed = self.permit_number, self.valid_until, self.assessed
        if self.state != "issued" or number is None or valid_until is None or assessed is None:
            refusal = REASONS.permit_not_issued(self.application_id, self.state)
            return self.record(ExtensionRefused(extension_id=extension_id, reasons=(refusal,)))
        return self.record(
            Extended(
                extension_id=extension_id,
                permit_number=number,
                work_permit_valid_until=work_permit_valid_until,
                previous_valid_until=valid_until,
                valid_until=assessment.permit_validity(
                    work_permit_valid_until, assessed.passport_expires_on
                ),
            )
        )

    # -- what the kernel asks of a residence permit ---------------------------------------

    def _reserved(
        self,
        assessed: Assessed,
        policy: ResidencePermitPolicy,
        permit_number: str,
        reserved_until: datetime,
    ) -> Reserved:
        return Reserved(permit_number=permit_number, reserved_until=reserved_until)
