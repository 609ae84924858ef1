"""The delivery loop: attempts recorded deliveries, retries them, settles them.

Fresh deliveries are handed over by the intake and attempted at once; a periodic
look for due ones finds retries and whatever a crashed replica left behind. Each
attempt holds the delivery's lease. Its outcome and the `NotificationSent` or
`NotificationFailed` announcing it are one commit in the event store (published
by the outbox relay), written before the delivery log is settled: a claimant that
finds the commit after a crash settles the log without sending again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from prometheus_client import Counter

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.v1.notifications import NotificationFailed, NotificationSent
from onewindow.notifications.adapters.deliveries import Delivery, DeliveryLog
from onewindow.notifications.adapters.smtp import Mail, SmtpMailer
from onewindow.notifications.adapters.webhook import WebhookPoster
from onewindow.notifications.domain.delivery import (
    DeliveryFailure,
    GiveUp,
    RetryPolicy,
    after_failure,
)
from onewindow.notifications.domain.outcomes import (
    OUTCOMES,
    DeliveryAbandoned,
    DeliveryOutcome,
    DeliverySucceeded,
    outcome_stream,
)
from onewindow.runtime.clock import Clock
from onewindow.runtime.eventstore import ConcurrencyConflict, EventStore, commit_id, outgoing
from onewindow.runtime.outages import tick_failed, unavailable

log = logging.getLogger(__name__)
SOURCE = "onewindow/notifications"

ATTEMPTS = Counter(
    "onewindow_notification_attempts_total",
    "Delivery attempts by channel and result (sent, retry, failed).",
    ["channel", "result"],
)


class Dispatcher:
    """Delivers what the intake recorded, with backoff, exactly once per delivery id."""

    def __init__(
        self,
        deliveries: DeliveryLog,
        store: EventStore,
        mailer: SmtpMailer,
        poster: WebhookPoster,
        clock: Clock,
        *,
        owner: str,
        policy: RetryPolicy,
        lease: timedelta,
        poll_interval_s: float = 2.0,
        concurrency: int = 8,
    ) -> None:
        self._deliveries = deliveries
        self._store = store
        self._mailer = mailer
        self._poster = poster
        self._clock = clock
        self.owner = owner
        self._policy = policy
        self._lease = lease
        self._poll_interval_s = poll_interval_s
        self._slots = asyncio.Semaphore(concurrency)
        self._batch = concurrency * 4
        self._fresh: list[str | Delivery] = []
        self._woken = asyncio.Event()
        # Attempts running in this process: never claimed again here while they run,
        # even if a moved clock (end-to-end tests) lets their lease lapse meanwhile.
        self._in_flight: set[str] = set()

    def submit(self, deliveries: Iterable[str | Delivery]) -> None:
        """Attempt these freshly recorded deliveries as soon as possible: by id (claimed
        first), or as recorded held by this dispatcher (`hold`), attempted at once."""
        self._fresh.extend(deliveries)
        self._woken.set()

    def hold(self, now: datetime) -> tuple[str, datetime]:
        """Who holds a delivery recorded now for its first attempt, and until when."""
        return self.owner, now + self._lease

    async def run(self) -> None:
        """Deliver forever: submitted deliveries at once, due ones at every poll."""
        next_scan = 0.0
        while True:
            tried_at = time.monotonic()
            try:
                ids, self._fresh = self._fresh, []
                if time.monotonic() >= next_scan:
                    due = await self._deliveries.due(self._clock.now(), self._batch)
                    # A full batch means more are waiting: look again without pausing.
                    pause = 0.0 if len(due) == self._batch else self._poll_interval_s
                    next_scan = time.monotonic() + pause
                    ids += [i for i in due if i not in ids]  # a held one is not due
                await self.attempt_all(ids)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                tick_failed(error, "the delivery loop", tried_at=tried_at)
                next_scan = time.monotonic() + self._poll_interval_s
            if not self._fresh:
                wait = max(0.0, next_scan - time.monotonic())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), wait)
            self._woken.clear()

    async def attempt_all(self, deliveries: Iterable[str | Delivery]) -> None:
        """Attempt each delivery (at most `concurrency` at a time); errors are logged."""

        async def one(delivery: str | Delivery) -> None:
            the_id = delivery if isinstance(delivery, str) else delivery.id
            async with self._slots:
                tried_at = time.monotonic()
                try:
                    await self.attempt(delivery)
                except Exception as error:
                    # The lease lapses and the periodic look tries again.
                    if unavailable(error) is None:
                        log.exception("delivery attempt failed", extra={"delivery_id": the_id})
                    else:
                        tick_failed(error, "a delivery attempt", tried_at=tried_at)

        unique = {(d if isinstance(d, str) else d.id): d for d in deliveries}
        await asyncio.gather(*(one(d) for d in unique.values()))

    async def attempt(self, delivery: str | Delivery) -> None:
        """One attempt at one delivery: given by id, if it is pending, due and free (else
        nothing); given as recorded held by this dispatcher, at once."""
        the_id = delivery if isinstance(delivery, str) else delivery.id
        if the_id in self._in_flight:
            return
        self._in_flight.add(the_id)
        try:
            await self._attempt(delivery)
        finally:
            self._in_flight.discard(the_id)

    async def _attempt(self, given: str | Delivery) -> None:
        now = self._clock.now()
        if isinstance(given, str):
            delivery = await self._deliveries.claim(
                given, owner=self.owner, now=now, lease=self._lease
            )
            if delivery is None or await self._settle_from_record(delivery):
                return
        else:
            delivery = given  # recorded a moment ago, held by this dispatcher: no outcome yet
        try:
            await self._send(delivery, now)
        except Exception as error:
            failure = (
                error
                if isinstance(error, DeliveryFailure)
                else DeliveryFailure(f"unexpected {type(error).__name__}", permanent=False)
            )
            if not isinstance(error, DeliveryFailure):
                log.exception("unexpected error while delivering", extra=_fields(delivery))
            await self._failed(delivery, failure)
        else:
            await self._finish(delivery, "sent")

    async def _send(self, delivery: Delivery, now: datetime) -> None:
        content = delivery.content
        if delivery.channel == "email":
            mail = Mail(
                delivery_id=delivery.id,
                recipient=delivery.recipient,
                subject=str(content["subject"]),
                text=str(content["text"]),
                html=str(content["html"]),
                language=delivery.language,
            )
            await self._mailer.send(mail, now=now)
        else:
            await self._poster.post(delivery.recipient, content, delivery_id=delivery.id)

    async def _failed(self, delivery: Delivery, failure: DeliveryFailure) -> None:
        step = after_failure(
            failure,
            attempts=delivery.attempts,
            created_at=delivery.created_at,
            now=self._clock.now(),
            policy=self._policy,
        )
        if isinstance(step, GiveUp):
            await self._finish(delivery, "failed", step.why)
            return
        ATTEMPTS.labels(delivery.channel, "retry").inc()
        await self._deliveries.reschedule(
            delivery.id, owner=self.owner, at=step.at, error=failure.error
        )
        log.warning(
            "delivery failed; will try again",
            extra={**_fields(delivery), "error": failure.error, "next_attempt_at": step.at},
        )

    async def _finish(
        self, delivery: Delivery, state: Literal["sent", "failed"], error: str = ""
    ) -> None:
        now = self._clock.now()
        base = {"delivery_id": delivery.id, "at": now, "attempts": delivery.attempts}
        outcome: DeliveryOutcome
        report: NotificationSent | NotificationFailed
        report_fields: dict[str, Any] = {
            "notification_id": delivery.id,
            "application_id": delivery.application_id,
            "cause_event_id": delivery.cause.id,
            "channel": delivery.channel,
            "recipient": delivery.recipient_masked,
            "template": delivery.template,
        }
        if state == "sent":
            outcome = DeliverySucceeded(**base)
            report = NotificationSent(**report_fields, sent_at=now)
        else:
            outcome = DeliveryAbandoned(**base, error=error)
            report = NotificationFailed(
                **report_fields, error=error, attempts=delivery.attempts, failed_at=now
            )
        cause = delivery.cause
        message = outgoing(
            report,
            key=delivery.application_id,
            correlation_id=cause.correlation_id,
            source=SOURCE,
            cause=Envelope(
                id=cause.id,
                source=cause.source,
                type=cause.type,
                time=cause.time,
                correlation_id=cause.correlation_id,
                traceparent=cause.traceparent,
            ),
            discriminator=f"{report.TYPE}:{delivery.id}",
            time=now,
        )
        try:
            await self._store.append(outcome_stream(delivery.id), 0, [outcome], [message])
        except ConcurrencyConflict:
            # A claimant whose lease lapsed recorded an outcome first: that one stands.
            await self._settle_from_record(delivery)
            return
        # The outcome's commit is the one that can win for this delivery: mirror it.
        await self._deliveries.record_outcome(delivery.id, state=state, at=now, error=error or None)
        ATTEMPTS.labels(delivery.channel, state).inc()
        if state == "sent":
            log.info("notification sent", extra=_fields(delivery))
        else:
            log.error("notification failed for good", extra={**_fields(delivery), "error": error})

    async def _settle_from_record(self, delivery: Delivery) -> bool:
        """Settle the log from an outcome recorded earlier; False if there is none."""
        # Looked up by `_id`: the one filter FerretDB 1.24 answers without a full scan.
        commit = await self._store.commits.find_one(
            {"_id": commit_id(outcome_stream(delivery.id), 1)},
            {"events": True, "recorded_at": True},
        )
        if commit is None or not commit.get("events"):
            return False
        outcome = OUTCOMES.revive(commit["events"][0]["type"], commit["events"][0]["data"])
        state: Literal["sent", "failed"] = (
            "sent" if isinstance(outcome, DeliverySucceeded) else "failed"
        )
        await self._deliveries.settle(
            delivery.id,
            state=state,
            at=commit["recorded_at"],
            error=getattr(outcome, "error", None),
        )
        log.info("delivery already settled", extra={**_fields(delivery), "state": state})
        return True


def _fields(delivery: Delivery) -> dict[str, Any]:
    # What the logs may say about a delivery: the case id and a masked address only.
    return {
        "application_id": delivery.application_id,
        "delivery_id": delivery.id,
        "template": delivery.template,
        "channel": delivery.channel,
        "recipient": delivery.recipient_masked,
        "attempts": delivery.attempts,
    }
