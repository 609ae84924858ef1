"""The subscription to `residence-permit.commands`: translate each command into its use case.

Ack policy (the runtime's, stated here because it is this subscriber's): a record is
acknowledged only after its decision is committed; a handler that keeps failing is
retried, then set aside on `residence-permit.commands.dlq`.
"""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.contracts.topics import RESIDENCE_PERMIT_COMMANDS
from onewindow.contracts.v1 import residence_permit as bus
from onewindow.residence_permit.application.mapping import SOURCE
from onewindow.residence_permit.application.residence_permits import ResidencePermits
from onewindow.runtime.subscriber import subscribe

log = logging.getLogger(__name__)

GROUP_ID = "residence-permit"


def subscribe_commands(broker: KafkaBroker, permits: ResidencePermits, topic_prefix: str) -> None:
    """Consume `residence-permit.commands` as the group `residence-permit`."""

    async def on_command(message: Message, envelope: Envelope) -> None:
        match message:
            case bus.AssessResidencePermit():
                await permits.assess(message, envelope)
            case bus.IssueResidencePermit():
                await permits.issue(message, envelope)
            case bus.CancelResidencePermitReservation():
                await permits.cancel_reservation(message, envelope)
            case bus.RenewResidencePermitReservation():
                await permits.renew_reservation(message, envelope)
            case bus.RecordResidencePermitOfficerDecision():
                await permits.record_officer_decision(message, envelope)
            case bus.ExtendResidencePermit():
                await permits.extend(message, envelope)
            case _:
                log.warning(
                    "not a residence-permit command; ignored", extra={"type": envelope.type}
                )

    subscribe(
        broker,
        topic=RESIDENCE_PERMIT_COMMANDS.name,
        group_id=GROUP_ID,
        handler=on_command,
        topic_prefix=topic_prefix,
        source=SOURCE,
    )
