"""Wires the applications service (the saga); nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from onewindow.applications.adapters.case_index import CaseIndex
from onewindow.applications.application.handlers import SOURCE, Saga
from onewindow.applications.entrypoints.deadlines import run_deadline_timer
from onewindow.applications.settings import ApplicationsSettings
from onewindow.contracts import topics
from onewindow.runtime.calendar import default_calendar
from onewindow.runtime.clock import clock_from_env
from onewindow.runtime.eventstore import EventStore
from onewindow.runtime.host import ServiceHost
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.outbox import OutboxRelay
from onewindow.runtime.settings import ServiceSettings, narrowed
from onewindow.runtime.subscriber import subscribe

GROUP = "applications"
READS = (
    topics.APPLICATIONS_COMMANDS,
    topics.IDENTITY_EVENTS,
    topics.WORK_PERMIT_EVENTS,
    topics.RESIDENCE_PERMIT_EVENTS,
)


@dataclass(frozen=True)
class Applications:
    """The wired saga service: its host (HTTP app, broker, database) and its parts."""

    host: ServiceHost
    saga: Saga
    index: CaseIndex
    store: EventStore
    relay: OutboxRelay


def build(settings: ApplicationsSettings) -> Applications:
    """Every part of the saga, connected; nothing runs until the host's lifespan starts
    its subscriptions, outbox relay and deadline timer."""
    broker = make_broker(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    mongo = make_client(settings.mongodb_url)
    db = mongo[settings.database_name]
    clock = clock_from_env()
    store = EventStore(db, clock=clock)
    # The relay follows this store's appends itself; it rescans for strays periodically.
    relay = OutboxRelay(store, broker, topic_prefix=settings.topic_prefix)
    calendar = default_calendar()
    index = CaseIndex(db, clock=clock, calendar=calendar)
    saga = Saga(store=store, index=index, clock=clock, calendar=calendar)
    for topic in READS:
        subscribe(
            broker,
            topic=topic.name,
            group_id=GROUP,
            handler=saga.on_message,
            topic_prefix=settings.topic_prefix,
            source=SOURCE,
        )

    async def prepare() -> None:
        await store.ensure_indexes()
        await index.ensure_indexes()

    host = ServiceHost(
        settings,
        broker,
        mongo,
        on_start=[prepare],
        background=[
            relay.run,
            lambda: run_deadline_timer(saga, settings.deadline_check_interval_s),
        ],
    )
    return Applications(host, saga, index, store, relay)


def bootstrap(settings: ServiceSettings) -> FastAPI:
    """The saga service: subscriptions, outbox relay and deadline timer in one process."""
    return build(narrowed(settings, ApplicationsSettings)).host.build_app()
