"""The residence-permit use cases beyond those every permit has
(`onewindow.permits.service`: assessment and its preview, cancel, renew, an officer's
decision, expiry): what an assessment decides, and an issue and extension that follow the
work permit. Each loads the permit's stream, lets the domain decide and appends the
decision with its outgoing messages in one commit.

Stream: `residence-permit-<application id>` per permit.
"""

from __future__ import annotations

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.v1 import residence_permit as bus
from onewindow.permits.service import Decide, PermitKind, PermitService
from onewindow.residence_permit.domain.events import RESIDENCE_PERMIT_EVENTS
from onewindow.residence_permit.domain.permit import ResidencePermit
from onewindow.residence_permit.domain.policy import ResidencePermitPolicy

RESIDENCE_PERMIT = PermitKind(
    ResidencePermit, RESIDENCE_PERMIT_EVENTS, bus.ResidencePermitCommand, bus.ResidencePermitEvent
)


class ResidencePermits(PermitService[ResidencePermit, ResidencePermitPolicy]):
    """The residence-permit service's use cases. Every one is idempotent per message id."""

    kind = RESIDENCE_PERMIT

    def assessment(self, command: bus.AssessResidencePermit) -> Decide[ResidencePermit]:
        """Assess now, under the policy in force on the application date."""
        now = self.clock.now()
        return lambda permit, number: permit.assess(command, self.policies, now, number)

    async def issue(self, command: bus.IssueResidencePermit, cause: Envelope) -> ResidencePermit:
        """Answer with `ResidencePermitIssued`, or `…IssueRejected` (nothing changes)."""
        now = self.clock.now()
        return await self.decide(
            command.application_id,
            cause,
            lambda permit, _: permit.issue(
                command.work_permit_number, command.work_permit_valid_until, now
            ),
        )

    async def extend(self, command: bus.ExtendResidencePermit, cause: Envelope) -> ResidencePermit:
        """Answer with `ResidencePermitExtended` or `…ExtensionRefused` (keyed by extension id)."""
        return await self.decide(
            command.application_id,
            cause,
            lambda permit, _: permit.extend(command.extension_id, command.work_permit_valid_until),
        )
