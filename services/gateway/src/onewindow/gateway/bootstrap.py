"""Wires the gateway service's adapters; nothing is built at import time.

To add routes (the read model's, for instance), append their router to `ROUTERS`
or pass them as `routers=`; they reach the caller with
`entrypoints.dependencies.require_roles(...)` and the parts of `GatewayService` through
`app.state` (see `entrypoints.dependencies`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts.topics import APPLICATIONS_EVENTS
from onewindow.gateway.adapters.identity import IdentityRegistry
from onewindow.gateway.adapters.mongo import CaseFacts, CaseOwners, IdempotencyRecords
from onewindow.gateway.adapters.mrz_reader import MrzReader
from onewindow.gateway.adapters.permit_previews import AssessmentPreviews
from onewindow.gateway.adapters.tokens import TokenVerifier, check_token_settings, load_keys
from onewindow.gateway.adapters.upload_store import UploadStore
from onewindow.gateway.application.erasure import Erasure
from onewindow.gateway.application.gateway import Gateway
from onewindow.gateway.application.prechecks import Prechecks
from onewindow.gateway.application.uploads import Uploads
from onewindow.gateway.domain.rates import RateLimiter, StreamSlots
from onewindow.gateway.entrypoints.applications import applications, officers
from onewindow.gateway.entrypoints.errors import UnhandledErrors, install_error_handlers
from onewindow.gateway.entrypoints.evidence import evidence
from onewindow.gateway.entrypoints.extensions import extensions
from onewindow.gateway.entrypoints.limits import RequestLimits
from onewindow.gateway.entrypoints.passport_readings import passport_readings
from onewindow.gateway.entrypoints.people import people
from onewindow.gateway.entrypoints.prechecks import prechecks
from onewindow.gateway.entrypoints.rate_limits import limiter_from
from onewindow.gateway.entrypoints.registry import registry
from onewindow.gateway.entrypoints.uploads import body_limit, uploads
from onewindow.gateway.entrypoints.web import install_web
from onewindow.gateway.ops import install_ops
from onewindow.gateway.readmodel.projection import Projection
from onewindow.gateway.readmodel.routes import router as readmodel_routes
from onewindow.gateway.settings import DEVELOPMENT_JWT_SECRET, GatewaySettings
from onewindow.runtime.bus import CommandBus
from onewindow.runtime.calendar import default_calendar
from onewindow.runtime.clock import Clock, clock_from_env
from onewindow.runtime.host import INTERNAL_CLIENT_LIMITS, ServiceHost
from onewindow.runtime.kafka import make_broker
from onewindow.runtime.mongo import make_client
from onewindow.runtime.problems import PROBLEM_BASE
from onewindow.runtime.service_tokens import ServiceCredentials, checked_service_secret
from onewindow.runtime.settings import ServiceSettings, narrowed
from onewindow.runtime.subscriber import subscribe

ROUTERS: list[APIRouter] = [
    applications,
    prechecks,
    passport_readings,
    officers,
    evidence,
    uploads,
    extensions,
    registry,
    people,
    readmodel_routes,
]
READ_MODEL_GROUP = "gateway-readmodel"

OPENAPI_TAGS = [
    {"name": "applications", "description": "Submit and follow a combined application."},
    {"name": "officers", "description": "Officers' reviews of cases that need a person."},
    {"name": "uploads", "description": "Scans of documents not in the registry, to cite."},
    {"name": "registry", "description": "The e-government registry, kept by clerks."},
    {"name": "extensions", "description": "Online extension of a work permit."},
    {"name": "people", "description": "Erasure of a person's personal data, by officers."},
]
DESCRIPTION = (
    "One Window: joint work and residence permits for foreign professionals.\n\n"
    "Every error is an RFC 9457 problem (`application/problem+json`) whose `type` "
    f"is a URI under {PROBLEM_BASE}."
)


@dataclass(frozen=True)
class GatewayService:
    """The wired gateway: its host (broker, database) and the parts its routes reach,
    each as `app.state.<field>` (see `entrypoints.dependencies`)."""

    host: ServiceHost
    tokens: TokenVerifier
    gateway: Gateway
    erasure: Erasure
    uploads: Uploads
    mrz_reader: MrzReader
    prechecks: Prechecks
    identity_registry: IdentityRegistry
    projection: Projection
    rate_limiter: RateLimiter
    stream_slots: StreamSlots
    readmodel_db: AsyncDatabase[dict[str, Any]]


def build(
    config: GatewaySettings,
    *,
    routers: Sequence[APIRouter] = (),
    clock: Clock | None = None,
    identity_transport: httpx.AsyncBaseTransport | None = None,
    permits_transport: httpx.AsyncBaseTransport | None = None,
) -> GatewayService:
    """Every part of the gateway, connected; nothing runs until the host's lifespan starts.

    Outside development, raises `InsecureServiceSecret` for the development service secret,
    and `InsecureConfiguration` for the development signing key or no issuer.
    """
    service_secret = checked_service_secret(config)
    check_token_settings(
        environment=config.environment,
        secret=config.jwt_secret,
        issuer=config.jwt_issuer,
        keys=bool(config.jwt_jwks),
        development_secret=DEVELOPMENT_JWT_SECRET,
    )
    clock = clock or clock_from_env()
    credentials = ServiceCredentials(service_secret, caller=config.service_name)
    broker = make_broker(config.kafka_bootstrap_servers, client_id=config.service_name)
    mongo = make_client(config.mongodb_url)
    identity = IdentityRegistry(
        httpx.AsyncClient(
            base_url=config.identity_url,
            timeout=config.identity_timeout_s,
            limits=INTERNAL_CLIENT_LIMITS,
            transport=identity_transport,
        ),
        credentials,
    )
    work, residence = (
        httpx.AsyncClient(
            base_url=url,
            timeout=config.permits_timeout_s,
            limits=INTERNAL_CLIENT_LIMITS,
            transport=permits_transport,
        )
        for url in (config.work_permit_url, config.residence_permit_url)
    )
    previews = AssessmentPreviews(work, residence, credentials)
    db = mongo[config.database_name]
    claims = IdempotencyRecords(db)
    projection = Projection(db, deferred=True)
    upload_store = UploadStore(db)
    received = Uploads(upload_store, clock, limit=config.max_upload_bytes)
    # The application read model: case events projected into the API view.
    subscribe(
        broker,
        topic=APPLICATIONS_EVENTS.name,
        group_id=READ_MODEL_GROUP,
        handler=projection.apply,
        topic_prefix=config.topic_prefix,
        source="onewindow/gateway",
        after_batch=projection.flush,
    )
    host = ServiceHost(
        config,
        broker,
        mongo,
        routers=[*ROUTERS, *routers],
        on_start=[
            claims.ensure_indexes,
            projection.ensure_indexes,
            upload_store.ensure_indexes,
            lambda: host.keyring.ensure_indexes(),
        ],
        on_stop=[identity.close, previews.close],
    )
    owners, facts = CaseOwners(db), CaseFacts(db)
    return GatewayService(
        host,
        tokens=TokenVerifier(
            secret=config.jwt_secret,
            audience=config.jwt_audience,
            issuer=config.jwt_issuer,
            leeway_s=config.jwt_leeway_s,
            clock=clock,
            keys=load_keys(config.jwt_jwks) if config.jwt_jwks else None,
        ),
        gateway=Gateway(
            claims=claims,
            owners=owners,
            facts=facts,
            bus=CommandBus(
                broker, topic_prefix=config.topic_prefix, timeout_s=config.publish_timeout_s
            ),
            clock=clock,
            lease=timedelta(seconds=config.idempotency_lease_s),
            uploads=received,
            keyring=host.keyring,
            person_secret=service_secret,
        ),
        erasure=Erasure(
            keyring=host.keyring,
            person_secret=service_secret,
            owners=owners,
            facts=facts,
            uploads=received,
            clock=clock,
        ),
        uploads=received,
        mrz_reader=MrzReader(),
        prechecks=Prechecks(
            registry=identity,
            previews=previews,
            uploads=received,
            clock=clock,
            calendar=default_calendar(),
        ),
        identity_registry=identity,
        projection=projection,
        rate_limiter=limiter_from(config),
        stream_slots=StreamSlots(config.max_open_streams_per_account),
        readmodel_db=db,
    )


def bootstrap(
    settings: ServiceSettings,
    *,
    routers: Sequence[APIRouter] = (),
    clock: Clock | None = None,
    identity_transport: httpx.AsyncBaseTransport | None = None,
    permits_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The gateway's HTTP app, with its broker, database and the clients of identity and
    the permit services (`*_transport` replace their network, in tests) in the lifespan.

    Raises as `build` does, for settings unsafe outside development.
    """
    config = narrowed(settings, GatewaySettings)
    service = build(
        config,
        routers=routers,
        clock=clock,
        identity_transport=identity_transport,
        permits_transport=permits_transport,
    )
    app = service.host.build_app()
    app.title, app.version, app.description = "One Window API", "v1", DESCRIPTION
    app.openapi_tags = OPENAPI_TAGS
    for part in fields(service):
        if part.name != "host":
            setattr(app.state, part.name, getattr(service, part.name))
    install_ops(app, config)
    install_web(app, config)
    install_error_handlers(app)
    # Added last, so outermost: limits run before routing; any fault becomes a 500 problem.
    app.add_middleware(
        RequestLimits,
        max_body_bytes=config.max_body_bytes,
        forms={
            "/v1/uploads": body_limit(config.max_upload_bytes),
            "/v1/passport-readings": body_limit(config.max_upload_bytes),
        },
    )
    app.add_middleware(UnhandledErrors)
    return app
