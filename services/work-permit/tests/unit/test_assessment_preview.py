"""The assessment preview behind the gateway's pre-check: the service's own decision on a
new permit, told as the event it would publish, with nothing stored or allocated; asked
only with the gateway's service credential for this service."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.preview import PREVIEW_PATH, UNALLOCATED, preview, preview_router
from onewindow.runtime.clock import ManualClock
from onewindow.runtime.service_tokens import (
    DEVELOPMENT_SERVICE_SECRET,
    InsecureServiceSecret,
    ServiceCredentials,
    ServiceCredentialVerifier,
)
from onewindow.work_permit.application.work_permits import WORK_PERMIT, WorkPermits
from onewindow.work_permit.bootstrap import bootstrap
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import published_policies
from onewindow.work_permit.settings import WorkPermitSettings

from .test_work_permit_assessment import NOW, TODAY, command

POLICIES = published_policies()
SERVICE_SECRET = "unit-test-service-secret-long-enough-for-hs256"  # noqa: S105 - a test key
GATEWAY = ServiceCredentials(SERVICE_SECRET, caller="gateway")

CASES = {
    "reserved": command(),
    "refused for its category": command(
        position__annual_salary_cny=300_000,
        qualifications={"education": "master", "experience_years": 5},
    ),
    "review for a missing record": command(documents=[]),
    "review for a watch-list flag": command(flags=["watchlist_match"]),
    "refused for an expired licence": command(
        employer={"uscc": "91310104MA1FL5KX1N", "name": "X", "licence_valid_until": "2026-01-01"}
    ),
}


def previewing() -> WorkPermits:
    # No store, no numbers, no reservations: a preview that touched any of them would fail.
    none: Any = None
    return WorkPermits(
        store=none, numbers=none, reservations=none, policies=POLICIES, clock=ManualClock(NOW)
    )


def preview_client() -> httpx.AsyncClient:
    """A client of the service's preview route, as the service mounts it."""
    app = FastAPI()
    verifier = ServiceCredentialVerifier(
        SERVICE_SECRET, audience="work-permit", callers=["gateway"]
    )
    app.include_router(preview_router(previewing(), verifier))
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://work-permit")


@pytest.mark.parametrize("cmd", CASES.values(), ids=CASES.keys())
async def test_the_preview_is_what_the_assessment_would_publish(cmd: AssessWorkPermit) -> None:
    async with preview_client() as client:
        answer = await client.post(
            PREVIEW_PATH, json=cmd.model_dump(mode="json"), headers=GATEWAY.headers("work-permit")
        )

    permit = WorkPermit(cmd.application_id)
    events = permit.assess(cmd, POLICIES, NOW, TODAY, UNALLOCATED)
    published = WORK_PERMIT.publication.integration_event(permit, events[-1])
    assert published is not None
    assert answer.status_code == 200
    assert answer.json() == {"type": published.TYPE, "event": published.model_dump(mode="json")}


async def test_a_body_that_is_not_an_assessment_is_a_422() -> None:
    async with preview_client() as client:
        answer = await client.post(
            PREVIEW_PATH, json={"application_id": "x"}, headers=GATEWAY.headers("work-permit")
        )
    assert answer.status_code == 422


# Minted when the test runs, so that each is refused for its own reason only.
REFUSED_CREDENTIALS: dict[str, Callable[[], dict[str, str]]] = {
    "none": dict,
    "for the residence-permit service": lambda: GATEWAY.headers("residence-permit"),
    "expired": lambda: ServiceCredentials(
        SERVICE_SECRET, caller="gateway", now=lambda: time.time() - 3600
    ).headers("work-permit"),
    "signed with another secret": lambda: ServiceCredentials(
        "someone-elses-secret-of-at-least-32-bytes", caller="gateway"
    ).headers("work-permit"),
    "from a service it does not serve": lambda: ServiceCredentials(
        SERVICE_SECRET, caller="applications"
    ).headers("work-permit"),
}


@pytest.mark.parametrize("credential", REFUSED_CREDENTIALS.values(), ids=REFUSED_CREDENTIALS.keys())
async def test_the_preview_route_without_credentials_is_refused_401(
    credential: Callable[[], dict[str, str]],
) -> None:
    async with preview_client() as client:
        # Refused before the body is read: not even a 422 tells a stranger what it expects.
        answer = await client.post(PREVIEW_PATH, json={}, headers=credential())
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["type"] == "https://onewindow.example/problems/unauthorized"


def test_the_clock_of_the_preview_is_the_service_s() -> None:
    later = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    service = previewing()
    service.clock = ManualClock(later)
    event = preview(service, command())
    assert event.reserved_until.year == 2027


def test_production_mode_refuses_the_development_service_secret() -> None:
    settings = WorkPermitSettings(
        environment="production", service_secret=DEVELOPMENT_SERVICE_SECRET
    )
    with pytest.raises(InsecureServiceSecret, match="development service secret is public"):
        bootstrap(settings)
