"""Wires the notifications service's adapters; nothing is built at import time."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

from fastapi import FastAPI

from onewindow.notifications.adapters.deliveries import DeliveryLog
from onewindow.notifications.adapters.employers import CaseEmployers
from onewindow.notifications.adapters.smtp import SmtpMailer
from onewindow.notifications.adapters.templates import Renderer
from onewindow.notifications.adapters.webhook import WebhookPoster, make_client
from onewindow.notifications.application.dispatch import Dispatcher
from onewindow.notifications.application.intake import Intake
from onewindow.notifications.entrypoints.subscriptions import register
from onewindow.notifications.settings import NotificationsSettings
from onewindow.runtime.clock import Clock, clock_from_env
from onewindow.runtime.eventstore import EventStore
from onewindow.runtime.host import ServiceHost
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client as make_mongo_client
from onewindow.runtime.outbox import OutboxRelay
from onewindow.runtime.settings import ServiceSettings, narrowed


@dataclass(frozen=True)
class Notifications:
    """The wired service: its host (HTTP app, broker, database) and its parts."""

    host: ServiceHost
    intake: Intake
    dispatcher: Dispatcher
    relay: OutboxRelay
    deliveries: DeliveryLog
    store: EventStore


def build(
    settings: NotificationsSettings, *, clock: Clock | None = None, owner: str | None = None
) -> Notifications:
    """Every part of the service, connected; nothing runs until the host's lifespan starts."""
    clock = clock or clock_from_env()
    broker = make_broker(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    mongo = make_mongo_client(settings.mongodb_url)
    db = mongo[settings.database_name]
    store = EventStore(db, clock=clock)
    relay = OutboxRelay(store, broker, topic_prefix=settings.topic_prefix)
    deliveries = DeliveryLog(db)
    http = make_client(settings.webhook_timeout_s)
    mailer = SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        sender=settings.from_address,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout_s=settings.smtp_timeout_s,
    )
    dispatcher = Dispatcher(
        deliveries,
        store,
        mailer,
        WebhookPoster(http),
        clock,
        # Unique per process, so two replicas never mistake each other's lease for their own.
        owner=owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        policy=settings.retry_policy,
        lease=settings.lease,
        poll_interval_s=settings.poll_interval_s,
        concurrency=settings.delivery_concurrency,
    )
    intake = Intake(
        deliveries,
        CaseEmployers(db),
        Renderer(),
        clock,
        supervisor_email=settings.supervisor_email,
        webhooks=settings.webhooks,
        on_recorded=dispatcher.submit,
        hold=dispatcher.hold,
    )
    register(broker, intake, topic_prefix=settings.topic_prefix, group_id=settings.consumer_group)

    async def ensure_indexes() -> None:
        await store.ensure_indexes()
        await deliveries.ensure_indexes()

    host = ServiceHost(
        settings,
        broker,
        mongo,
        on_start=[ensure_indexes],
        on_stop=[http.aclose, mailer.close],
        background=[dispatcher.run, relay.run],
    )
    return Notifications(host, intake, dispatcher, relay, deliveries, store)


def bootstrap(settings: ServiceSettings) -> FastAPI:
    """The service's HTTP app, with its broker, database, delivery loop and relay."""
    return build(narrowed(settings, NotificationsSettings)).host.build_app()
