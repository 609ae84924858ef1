"""The work-permit use cases beyond those every permit has (`onewindow.permits.service`:
assessment and its preview, cancel, renew, an officer's decision, expiry): what an
assessment decides, issue, extension and its reversal. Each loads the permit's stream,
lets the domain decide and appends the decision with its outgoing messages in one commit.

Streams: `work-permit-<application id>` per permit; an extension that names no known
permit is answered from `work-permit-extension-<extension id>`.
"""

from __future__ import annotations

from collections.abc import Mapping

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.v1 import work_permit as bus
from onewindow.permits.service import Decide, PermitKind, PermitService
from onewindow.runtime.clock import local_today
from onewindow.work_permit.domain.events import WORK_PERMIT_EVENTS, DomainEvent, ExtensionReverted
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import WorkPermitPolicy


def told(permit: WorkPermit, event: DomainEvent) -> Mapping[str, object]:
    """What `work-permit.events` says beyond the stored events: the classification, and
    the validity an undone extension restored."""
    if isinstance(event, ExtensionReverted):
        return {"valid_until": event.restored_valid_until}
    return {"classification": permit.classification}


WORK_PERMIT = PermitKind(
    WorkPermit, WORK_PERMIT_EVENTS, bus.WorkPermitCommand, bus.WorkPermitEvent, told
)


def extension_stream_of(extension_id: str) -> str:
    """The stream answering an extension for a permit number no one holds."""
    return f"work-permit-extension-{extension_id}"


class WorkPermits(PermitService[WorkPermit, WorkPermitPolicy]):
    """The work-permit service's use cases. Every one is idempotent per message id."""

    kind = WORK_PERMIT

    def assessment(self, command: bus.AssessWorkPermit) -> Decide[WorkPermit]:
        """Classify and assess now: the employer's licence is checked on today's date."""
        now, today = self.clock.now(), local_today(self.clock)
        return lambda permit, number: permit.assess(command, self.policies, now, today, number)

    async def issue(self, command: bus.IssueWorkPermit, cause: Envelope) -> WorkPermit:
        """Answer with `WorkPermitIssued`, or `WorkPermitIssueRejected` (nothing changes)."""
        now = self.clock.now()
        return await self.decide(command.application_id, cause, lambda permit, _: permit.issue(now))

    async def extend(self, command: bus.ExtendWorkPermit, cause: Envelope) -> WorkPermit:
        """Answer with `WorkPermitExtended` or `WorkPermitExtensionRefused` (keyed by the
        extension id)."""
        application_id = await self.numbers.application_of(command.permit_number)
        return await self.decide(
            application_id or "",
            cause,
            lambda permit, _: permit.extend(
                command.extension_id,
                command.permit_number,
                command.contract_end,
                command.requested_on,
                self.policies,
            ),
            stream="" if application_id else extension_stream_of(command.extension_id),
        )

    async def revert_extension(
        self, command: bus.RevertWorkPermitExtension, cause: Envelope
    ) -> WorkPermit:
        """Answer with `WorkPermitExtensionReverted` (keyed by the extension id)."""
        application_id = await self.numbers.application_of(command.permit_number)
        return await self.decide(
            application_id or "",
            cause,
            lambda permit, _: permit.revert_extension(
                command.extension_id, command.permit_number, command.reason
            ),
            stream="" if application_id else extension_stream_of(command.extension_id),
        )
