"""A service process of the shared runtime for the graceful-stop test: `ServiceHost` with
one subscriber, an event store and its outbox relay, served as every service is.

Run as `python drain_service.py` with `KAFKA_BOOTSTRAP_SERVERS`, `MONGODB_URL`,
`ONEWINDOW_TOPIC_PREFIX`, `ONEWINDOW_DB_PREFIX` and `DRAIN_HTTP_PORT` set. It handles
`CloseCase` on `identity.commands` by recording the case closed and sending `CaseClosed`
on `identity.events`, taking `DRAIN_HANDLE_S` per record, so that a batch is under way
when the test stops it.
"""

from __future__ import annotations

import asyncio
import os

from fastapi import FastAPI
from pydantic import BaseModel

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1.identity import CaseClosed, CloseCase
from onewindow.runtime.eventstore import EventStore, Stream, outgoing
from onewindow.runtime.handling import Decision, handle
from onewindow.runtime.host import ServiceHost, serve
from onewindow.runtime.kafka import connect_as, make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.outbox import OutboxRelay
from onewindow.runtime.settings import ServiceSettings
from onewindow.runtime.subscriber import subscribe

SOURCE = "onewindow/drain-test"
GROUP = "drain-test"


class Closed(BaseModel):
    application_id: str


def bootstrap(settings: ServiceSettings) -> FastAPI:
    broker = make_broker(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    mongo = make_client(settings.mongodb_url)
    store = EventStore(mongo[settings.database_name])
    relay = OutboxRelay(store, broker, topic_prefix=settings.topic_prefix)
    pause = float(os.environ.get("DRAIN_HANDLE_S", "0.2"))

    async def on_close(message: Message, envelope: Envelope) -> None:
        if not isinstance(message, CloseCase):
            return
        await asyncio.sleep(pause)
        case = message.application_id

        def decide(_stream: Stream) -> Decision:
            reply = CaseClosed(application_id=case, person_ref=f"person-{case}")
            return Decision(
                events=[Closed(application_id=case)],
                outbox=[
                    outgoing(reply, key=case, correlation_id=case, source=SOURCE, cause=envelope)
                ],
            )

        await handle(store, f"case-{case}", envelope.id, lambda stream: stream, decide)

    subscribe(
        broker,
        topic="identity.commands",
        group_id=GROUP,
        handler=on_close,
        topic_prefix=settings.topic_prefix,
        source=SOURCE,
    )
    host = ServiceHost(
        settings, broker, mongo, on_start=(store.ensure_indexes,), background=(relay.run,)
    )
    return host.build_app()


if __name__ == "__main__":
    settings = ServiceSettings(
        service_name="drain-test", http_port=int(os.environ["DRAIN_HTTP_PORT"])
    )
    connect_as(settings)  # as every service's command line does (static membership too)
    serve(bootstrap(settings), settings)
