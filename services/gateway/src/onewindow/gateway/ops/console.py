"""The operators' web console at `/ops`: a page, its overview, and a live event stream.

The page itself (`/ops`, with its CSS and JavaScript) holds no data and is served to
anyone; everything it shows comes from `/ops/api/*`, which answer operators only (401
without a valid token, 403 for any other role, as problem details). A browser cannot
put a bearer token on a page load, and `EventSource` cannot set headers at all, so the
page keeps the token the operator pastes in `sessionStorage` and reads the live stream
with `fetch` (a streamed response, parsed as Server-Sent Events): the token always
travels in the `Authorization` header, never in a URL where logs would keep it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.entrypoints.dependencies import require_roles
from onewindow.gateway.ops.overview import cases_overview, dead_letter_counts
from onewindow.ops.deadletters import ops_database
from onewindow.ops.decoding import decode, matches
from onewindow.ops.reading import BusReader, every_topic
from onewindow.runtime.problems import ProblemError, responses
from onewindow.runtime.settings import ServiceSettings

router = APIRouter(tags=["operators"])
Operators = Annotated[Actor, Depends(require_roles("operator"))]
STATIC = {
    "ops.css": "text/css; charset=utf-8",
    "ops.js": "text/javascript; charset=utf-8",
}
KEEPALIVE_S = 15.0


def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.ops_settings
    return settings


def _static(name: str) -> str:
    return resources.files("onewindow.gateway.ops").joinpath("static", name).read_text("utf-8")


@router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
async def console_page() -> HTMLResponse:
    return HTMLResponse(_static("ops.html"), headers={"Cache-Control": "no-store"})


@router.get("/ops/static/{name}", include_in_schema=False)
async def console_asset(name: str) -> Response:
    if name not in STATIC:
        raise ProblemError(404, "not-found", f"No console asset {name!r}.")
    return Response(_static(name), media_type=STATIC[name])


@router.get(
    "/ops/api/overview",
    summary="Cases by status, stuck cases, missed deadlines and dead letters",
    responses=responses(401, 403),
)
async def overview(
    request: Request,
    _operator: Operators,
    stuck_after_s: Annotated[int, Query(ge=0, le=30 * 86400)] = 600,
) -> dict[str, Any]:
    settings = _settings(request)
    db = request.app.state.readmodel_db
    cases = await cases_overview(
        db, now=datetime.now(UTC), stuck_after=timedelta(seconds=stuck_after_s)
    )
    ops_db = db.client[ops_database(settings.db_prefix)]
    dead = await dead_letter_counts(ops_db, settings.kafka_bootstrap_servers, settings.topic_prefix)
    return {**cases, "dead_letters": dead}


@router.get(
    "/ops/api/events",
    response_class=EventSourceResponse,
    summary="Every message on the bus from now on, decoded and redacted (Server-Sent Events)",
    responses=responses(401, 403),
)
async def live_events(
    request: Request,
    _operator: Operators,
    case: Annotated[str | None, Query(max_length=100)] = None,
    type: Annotated[str | None, Query(max_length=200)] = None,
) -> AsyncIterator[ServerSentEvent]:
    settings = _settings(request)
    async with BusReader(
        settings.kafka_bootstrap_servers,
        every_topic(),
        topic_prefix=settings.topic_prefix,
        client_id="onewindow-ops-console",
    ) as reader:
        await reader.from_end()
        # Positioned: whatever is published from now on will be shown.
        yield ServerSentEvent(event="ready", data={"topics": len(every_topic())})
        quiet_since = asyncio.get_running_loop().time()
        while not await request.is_disconnected():
            records = await reader.poll()
            for record in records:
                message = decode(record, topic_prefix=settings.topic_prefix)
                if matches(message, case, type):
                    yield ServerSentEvent(event="message", data=message.as_json())
            now = asyncio.get_running_loop().time()
            if records:
                quiet_since = now
            elif now - quiet_since > KEEPALIVE_S:
                quiet_since = now
                yield ServerSentEvent(comment="keep-alive")
