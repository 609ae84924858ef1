"""Wires the identity service's adapters; nothing is built at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import FastAPI

from onewindow.identity.adapters.mongo_views import MongoCertificateViews
from onewindow.identity.application.registry import Registry
from onewindow.identity.application.verification import IdentityVerification, subscribe_commands
from onewindow.identity.entrypoints.http_registry import registry_router
from onewindow.identity.settings import DEVELOPMENT_PERSON_REF_SECRET, IdentitySettings
from onewindow.runtime.clock import Clock, clock_from_env
from onewindow.runtime.eventstore import EventStore
from onewindow.runtime.host import ServiceHost
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.outbox import OutboxRelay
from onewindow.runtime.service_tokens import ServiceCredentialVerifier, checked_service_secret
from onewindow.runtime.settings import ServiceSettings, narrowed

log = logging.getLogger(__name__)

# The services that call the registry's internal API.
REGISTRY_CALLERS = ("gateway",)


@dataclass(frozen=True)
class Identity:
    """The wired identity service: its host (HTTP app, broker, database) and its parts."""

    host: ServiceHost
    verification: IdentityVerification
    registry: Registry
    store: EventStore
    relay: OutboxRelay


def build(config: IdentitySettings, *, clock: Clock | None = None) -> Identity:
    """Every part of the service, connected; nothing runs until the host's lifespan starts
    its `identity.commands` subscriber and outbox relay.

    Raises `InsecureServiceSecret` outside development with the development service secret.
    """
    credentials = ServiceCredentialVerifier(
        checked_service_secret(config), audience=config.service_name, callers=REGISTRY_CALLERS
    )
    secret = config.person_ref_secret.get_secret_value()
    if secret == DEVELOPMENT_PERSON_REF_SECRET:
        log.warning("IDENTITY_PERSON_REF_SECRET not set: using the development secret")
    broker = make_broker(config.kafka_bootstrap_servers, client_id=config.service_name)
    mongo = make_client(config.mongodb_url)
    db = mongo[config.database_name]
    store = EventStore(db, clock=clock or clock_from_env())
    relay = OutboxRelay(store, broker, topic_prefix=config.topic_prefix)
    views = MongoCertificateViews(db)
    registry = Registry(store, views, secret.encode())
    verification = IdentityVerification(store, registry, source=config.service_name)
    subscribe_commands(
        broker,
        verification,
        group_id=config.consumer_group,
        topic_prefix=config.topic_prefix,
        source=config.service_name,
    )
    host = ServiceHost(
        config,
        broker,
        mongo,
        routers=[registry_router(registry, credentials)],
        on_start=[store.ensure_indexes, views.ensure_indexes],
        background=[relay.run],
    )
    return Identity(host, verification, registry, store, relay)


def bootstrap(settings: ServiceSettings, *, clock: Clock | None = None) -> FastAPI:
    """The service's HTTP app (health, metrics, `/internal/registry/...`), with its
    `identity.commands` subscriber, outbox relay and database in the lifespan.

    Raises as `build` does, outside development with the development service secret.
    """
    return build(narrowed(settings, IdentitySettings), clock=clock).host.build_app()
