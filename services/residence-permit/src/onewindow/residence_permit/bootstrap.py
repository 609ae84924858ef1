"""Wires the residence-permit service's adapters; nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from onewindow.runtime.host import ServiceHost
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.settings import ServiceSettings


def bootstrap(settings: ServiceSettings) -> FastAPI:
    """The service's HTTP app, with its broker and database in the lifespan."""
    broker = make_broker(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    host = ServiceHost(settings, broker, make_client(settings.mongodb_url))
    return host.build_app()
