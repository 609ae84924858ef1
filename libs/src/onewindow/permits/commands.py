"""The subscription to a permit service's command topic (`work-permit.commands`, as the
group `work-permit`): each command goes to the use case named for it.

The pairing is by name: `CancelWorkPermitReservation` (a `WorkPermitCommand`) goes to
`cancel_reservation`, the command's name without the permit's, in snake case. A command of
the service's vocabulary without a use case is an error when the service starts.

Ack policy (the runtime's, stated here because it is this subscriber's): a record is
acknowledged only after its decision is committed; a handler that keeps failing is
retried, then set aside on `<service>.commands.dlq`.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaBroker

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.permits.service import PermitService
from onewindow.runtime.subscriber import subscribe

log = logging.getLogger(__name__)

UseCase = Callable[[Any, Envelope], Awaitable[object]]


class MissingUseCase(LookupError):
    """A command of the service's vocabulary has no use case of its name."""


def use_cases(permits: PermitService[Any, Any]) -> dict[type[Message], UseCase]:
    """Every command of the service's vocabulary with the use case that answers it."""
    vocabulary = permits.kind.commands
    permit = vocabulary.__name__.removesuffix("Command")
    routes: dict[type[Message], UseCase] = {}
    for command in vars(sys.modules[vocabulary.__module__]).values():
        if not isinstance(command, type) or not issubclass(command, vocabulary):
            continue
        if command is vocabulary:
            continue  # the base of them all
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__.replace(permit, "", 1)).lower()
        use_case = getattr(permits, name, None)
        if not callable(use_case):
            raise MissingUseCase(f"{command.__name__} needs {type(permits).__name__}.{name}")
        routes[command] = use_case
    return routes


def subscribe_commands(
    broker: KafkaBroker, permits: PermitService[Any, Any], topic_prefix: str
) -> None:
    """Consume `<service>.commands` as the group `<service>`."""
    kind, routes = permits.kind, use_cases(permits)

    async def on_command(message: Message, envelope: Envelope) -> None:
        use_case = routes.get(type(message))
        if use_case is None:
            log.warning("not a %s command; ignored", kind.name, extra={"type": envelope.type})
            return
        await use_case(message, envelope)

    subscribe(
        broker,
        topic=f"{kind.name}.commands",
        group_id=kind.name,
        handler=on_command,
        topic_prefix=topic_prefix,
        source=kind.source,
    )
