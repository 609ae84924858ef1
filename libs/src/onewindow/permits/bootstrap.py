"""A permit service's `bootstrap`: the kernel's adapters wired around the service's use
cases, with the internal preview of an assessment that the gateway's pre-check asks
(`onewindow.permits.preview`). Nothing is built at import time; each call builds one
service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic

from fastapi import FastAPI

from onewindow.permits.expiry import expiry_scheduler
from onewindow.permits.mongo_numbers import MongoPermitNumbers
from onewindow.permits.mongo_reservations import MongoReservations
from onewindow.permits.policy import PolicyBook, PolicyT
from onewindow.permits.preview import preview_router
from onewindow.permits.service import PermitService, subscribe_commands
from onewindow.runtime.clock import Clock, clock_from_env
from onewindow.runtime.eventstore import EventStore
from onewindow.runtime.host import ServiceHost
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.outbox import OutboxRelay
from onewindow.runtime.service_tokens import (
    ServiceCredentialSettings,
    ServiceCredentialVerifier,
    checked_service_secret,
)
from onewindow.runtime.settings import ServiceSettings, narrowed

# How often lapsed reservations are looked for; a lapse is noticed at most this late.
EXPIRY_SCAN_INTERVAL_S = 30.0
# The services that call a permit service's internal API (its assessment preview).
INTERNAL_CALLERS = ("gateway",)


@dataclass(frozen=True)
class Permits(Generic[PolicyT]):
    """A wired permit service: its host (HTTP app, broker, database) and its parts."""

    host: ServiceHost
    service: PermitService[Any, PolicyT]
    store: EventStore
    relay: OutboxRelay


@dataclass(frozen=True)
class PermitBootstrap(Generic[PolicyT]):
    """Called with a service's settings, it returns the service's HTTP app; `build` gives
    the wired parts behind it."""

    settings: type[ServiceCredentialSettings]
    service: type[PermitService[Any, PolicyT]]
    published_policies: Callable[[], PolicyBook[PolicyT]]

    def build(
        self,
        settings: ServiceCredentialSettings,
        *,
        clock: Clock | None = None,
        policies: PolicyBook[PolicyT] | None = None,
        expiry_scan_interval_s: float = EXPIRY_SCAN_INTERVAL_S,
    ) -> Permits[PolicyT]:
        """Every part of the service, connected; nothing runs until the host's lifespan
        starts its command subscription, outbox relay and expiry timer.

        Raises `InsecureServiceSecret` outside development with the development service
        secret.
        """
        credentials = ServiceCredentialVerifier(
            checked_service_secret(settings),
            audience=settings.service_name,
            callers=INTERNAL_CALLERS,
        )
        clock = clock or clock_from_env()
        broker = make_broker(settings.kafka_bootstrap_servers, client_id=settings.service_name)
        mongo = make_client(settings.mongodb_url)
        db = mongo[settings.database_name]
        # The relay watches this store's appends itself; `wake` (a full look) is for others.
        store = EventStore(db, clock=clock)
        relay = OutboxRelay(store, broker, topic_prefix=settings.topic_prefix)
        reservations = MongoReservations(db)
        permits = self.service(
            store=store,
            numbers=MongoPermitNumbers(db),
            reservations=reservations,
            policies=policies or self.published_policies(),
            clock=clock,
        )
        subscribe_commands(broker, permits, settings.topic_prefix)
        host = ServiceHost(
            settings,
            broker,
            mongo,
            routers=[preview_router(permits, credentials)],
            on_start=(store.ensure_indexes, reservations.ensure_indexes),
            background=(relay.run, expiry_scheduler(permits, expiry_scan_interval_s)),
        )
        return Permits(host, permits, store, relay)

    def __call__(
        self,
        settings: ServiceSettings,
        *,
        clock: Clock | None = None,
        policies: PolicyBook[PolicyT] | None = None,
        expiry_scan_interval_s: float = EXPIRY_SCAN_INTERVAL_S,
    ) -> FastAPI:
        """The service's HTTP app, with its broker, database, command subscription,
        outbox relay and expiry timer in the lifespan; raises as `build` does."""
        wired = self.build(
            narrowed(settings, self.settings),
            clock=clock,
            policies=policies,
            expiry_scan_interval_s=expiry_scan_interval_s,
        )
        return wired.host.build_app()
