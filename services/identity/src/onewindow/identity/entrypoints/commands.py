"""The `identity.commands` subscriber: translate each command, then call its use case.

Ack policy (the runtime's, stated in `onewindow.runtime.subscriber`): the offset is
committed only after the handler's commit is durable; a handler that keeps failing
is retried, then the record goes to `identity.commands.dlq`.
"""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.contracts.topics import IDENTITY_COMMANDS
from onewindow.contracts.v1.identity import CloseCase, VerifyIdentity
from onewindow.identity.application.verification import IdentityVerification
from onewindow.runtime.subscriber import subscribe

log = logging.getLogger(__name__)


def subscribe_commands(
    broker: KafkaBroker,
    verification: IdentityVerification,
    *,
    group_id: str,
    topic_prefix: str,
    source: str,
) -> None:
    """Route `VerifyIdentity` and `CloseCase` from `identity.commands` to their use cases."""

    async def on_command(message: Message, envelope: Envelope) -> None:
        if isinstance(message, VerifyIdentity):
            await verification.verify_identity(message, envelope)
        elif isinstance(message, CloseCase):
            await verification.close_case(message, envelope)
        else:
            log.warning("command not for identity ignored", extra={"message_type": envelope.type})

    subscribe(
        broker,
        topic=IDENTITY_COMMANDS.name,
        group_id=group_id,
        handler=on_command,
        topic_prefix=topic_prefix,
        source=source,
    )
