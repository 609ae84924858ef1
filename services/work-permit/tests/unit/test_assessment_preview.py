"""The assessment preview behind the gateway's pre-check: the service's own decision on a
new permit, told as the event it would publish, with nothing stored or allocated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.preview import PREVIEW_PATH, UNALLOCATED
from onewindow.runtime.clock import ManualClock
from onewindow.work_permit.application.work_permits import WORK_PERMIT, WorkPermits
from onewindow.work_permit.bootstrap import routes
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import published_policies

from .test_work_permit_assessment import NOW, TODAY, command

POLICIES = published_policies()

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


@pytest.mark.parametrize("cmd", CASES.values(), ids=CASES.keys())
async def test_the_preview_is_what_the_assessment_would_publish(cmd: AssessWorkPermit) -> None:
    app = FastAPI()
    for router in routes(previewing()):
        app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://work-permit") as client:
        answer = await client.post(PREVIEW_PATH, json=cmd.model_dump(mode="json"))

    permit = WorkPermit(cmd.application_id)
    events = permit.assess(cmd, POLICIES, NOW, TODAY, UNALLOCATED)
    for event in events:
        permit.apply(event)
    published = WORK_PERMIT.publication.integration_event(permit, events[-1])
    assert published is not None
    assert answer.status_code == 200
    assert answer.json() == {"type": published.TYPE, "event": published.model_dump(mode="json")}


async def test_a_body_that_is_not_an_assessment_is_a_422() -> None:
    app = FastAPI()
    for router in routes(previewing()):
        app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://work-permit") as client:
        answer = await client.post(PREVIEW_PATH, json={"application_id": "x"})
    assert answer.status_code == 422


def test_the_clock_of_the_preview_is_the_service_s() -> None:
    later = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    service = previewing()
    service.clock = ManualClock(later)
    event = service.preview_assessment(command())
    assert event.reserved_until.year == 2027
