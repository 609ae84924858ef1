"""The subscription to `work-permit.commands`: translate each command into its use case.

Ack policy (the runtime's, stated here because it is this subscriber's): a record is
acknowledged only after its decision is committed; a handler that keeps failing is
retried, then set aside on `work-permit.commands.dlq`.
"""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.contracts.topics import WORK_PERMIT_COMMANDS
from onewindow.contracts.v1 import work_permit as bus
from onewindow.runtime.subscriber import subscribe
from onewindow.work_permit.application.mapping import SOURCE
from onewindow.work_permit.application.work_permits import WorkPermits

log = logging.getLogger(__name__)

GROUP_ID = "work-permit"


def subscribe_commands(broker: KafkaBroker, permits: WorkPermits, topic_prefix: str) -> None:
    """Consume `work-permit.commands` as the group `work-permit`."""

    async def on_command(message: Message, envelope: Envelope) -> None:
        match message:
            case bus.AssessWorkPermit():
                await permits.assess(message, envelope)
            case bus.IssueWorkPermit():
                await permits.issue(message, envelope)
            case bus.CancelWorkPermitReservation():
                await permits.cancel_reservation(message, envelope)
            case bus.RenewWorkPermitReservation():
                await permits.renew_reservation(message, envelope)
            case bus.RecordWorkPermitOfficerDecision():
                await permits.record_officer_decision(message, envelope)
            case bus.RevertWorkPermitExtension():
                await permits.revert_extension(message, envelope)
            case bus.ExtendWorkPermit():
                await permits.extend(message, envelope)
            case _:
                log.warning("not a work-permit command; ignored", extra={"type": envelope.type})

    subscribe(
        broker,
        topic=WORK_PERMIT_COMMANDS.name,
        group_id=GROUP_ID,
        handler=on_command,
        topic_prefix=topic_prefix,
        source=SOURCE,
    )
