"""The service's Kafka subscription: `applications.events` into the intake.

Ack policy (the kit's): the offset is committed after the handler returned, that is
after the deliveries were recorded; a handler that keeps failing goes to the DLQ.
The handler writes to the database only, so it never waits on a mail server.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from onewindow.contracts.topics import APPLICATIONS_EVENTS
from onewindow.notifications.application.dispatch import SOURCE
from onewindow.notifications.application.intake import Intake
from onewindow.runtime.subscriber import subscribe


def register(broker: KafkaBroker, intake: Intake, *, topic_prefix: str, group_id: str) -> None:
    """Subscribe the intake to `applications.events` as consumer group `group_id`."""
    subscribe(
        broker,
        topic=APPLICATIONS_EVENTS.name,
        group_id=group_id,
        handler=intake.on_event,
        topic_prefix=topic_prefix,
        source=SOURCE,
    )
