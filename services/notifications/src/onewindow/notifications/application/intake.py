"""Turns an application event into recorded delivery intents; sends nothing itself.

The handler only writes to the database, so a slow or absent mail server never
holds the Kafka partition: the `Dispatcher` does the sending, and the retrying.
Recording is idempotent (deterministic delivery ids), so a redelivered event, or
the same event handled by two replicas, records each delivery once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1.applications import ApplicationReceived
from onewindow.notifications.adapters.deliveries import Cause, Delivery, DeliveryLog
from onewindow.notifications.adapters.employers import CaseEmployers
from onewindow.notifications.adapters.templates import Renderer
from onewindow.notifications.domain.delivery import delivery_id, mask_address
from onewindow.notifications.domain.notices import (
    Addressing,
    Notice,
    occasion_of,
    plan,
    webhook_body,
)
from onewindow.runtime.clock import Clock

log = logging.getLogger(__name__)


class Intake:
    """Handles `applications.events`: records every delivery an event calls for."""

    def __init__(
        self,
        deliveries: DeliveryLog,
        employers: CaseEmployers,
        renderer: Renderer,
        clock: Clock,
        *,
        supervisor_email: str,
        webhooks: Mapping[str, str],
        on_recorded: Callable[[list[Delivery]], None] = lambda deliveries: None,
        hold: Callable[[datetime], tuple[str, datetime]] | None = None,
    ) -> None:
        """`on_recorded` gets the deliveries this intake recorded; with `hold`, which
        names the holder and the lease's end for a moment, they are recorded already held
        for their first attempt (see `DeliveryLog.record`)."""
        self._deliveries = deliveries
        self._employers = employers
        self._renderer = renderer
        self._clock = clock
        self._supervisor_email = supervisor_email
        self._webhooks = webhooks
        self._on_recorded = on_recorded
        self._hold = hold

    async def on_event(self, message: Message, envelope: Envelope) -> None:
        """Record the deliveries `message` calls for (none for events nobody is told of)."""
        if isinstance(message, ApplicationReceived):
            await self._employers.remember(message.application_id, message.employer_uscc)
        # Recorded together: one event's deliveries go to the database in one insert.
        deliveries = await self.deliveries_for(message, envelope)
        outcomes = await asyncio.gather(*(self._record(delivery) for delivery in deliveries))
        recorded = [held for held in outcomes if held is not None]
        if recorded:
            self._on_recorded(recorded)

    async def deliveries_for(self, message: Message, envelope: Envelope) -> list[Delivery]:
        """The deliveries `message` calls for, rendered, not yet recorded."""
        occasion = occasion_of(message)
        if occasion is None:
            return []
        hook = None
        if self._webhooks and occasion.contact is not None:
            uscc = await self._employers.employer_of(occasion.application_id)
            hook = self._webhooks.get(uscc) if uscc else None
        notices = plan(message, Addressing(self._supervisor_email, hook))
        return [self._delivery(notice, envelope) for notice in notices]

    def _delivery(self, notice: Notice, envelope: Envelope) -> Delivery:
        the_id = delivery_id(envelope.id, notice.recipient, notice.channel)
        if notice.channel == "email":
            rendered = self._renderer.render(notice)
            content = {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
        else:
            content = webhook_body(notice, delivery_id=the_id, event_id=envelope.id)
        return Delivery(
            id=the_id,
            cause=Cause(
                id=envelope.id,
                type=envelope.type,
                source=envelope.source,
                time=envelope.time,
                correlation_id=envelope.correlation_id,
                traceparent=envelope.traceparent,
            ),
            application_id=notice.application_id,
            template=notice.template,
            audience=notice.audience,
            language=notice.language,
            channel=notice.channel,
            recipient=notice.recipient,
            recipient_masked=mask_address(notice.recipient),
            content=content,
            created_at=self._clock.now(),
        )

    async def _record(self, delivery: Delivery) -> Delivery | None:
        """The delivery as recorded (held for attempt 1 with `hold`), None if it was
        recorded before."""
        if self._hold is not None:
            owner, lease_until = self._hold(delivery.created_at)
            fresh = await self._deliveries.record(delivery, owner=owner, lease_until=lease_until)
            delivery = replace(delivery, attempts=1)
        else:
            fresh = await self._deliveries.record(delivery)
        log.info(
            "delivery recorded" if fresh else "delivery already recorded",
            extra={
                "application_id": delivery.application_id,
                "delivery_id": delivery.id,
                "template": delivery.template,
                "channel": delivery.channel,
                "recipient": delivery.recipient_masked,
            },
        )
        return delivery if fresh else None
