"""Queries of API.md: a case, the caller's cases, live status (SSE), reviews, extensions."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from onewindow.contracts.v1.applications import FINAL_STATUSES, Actor
from onewindow.gateway.adapters.mongo import CaseOwners
from onewindow.gateway.domain.ownership import STAFF_ROLES, may_see
from onewindow.gateway.domain.rates import StreamSlots
from onewindow.gateway.entrypoints.dependencies import require_roles
from onewindow.gateway.entrypoints.rate_limits import enforce, open_stream
from onewindow.gateway.readmodel.projection import EXTENSIONS, VIEWS, Projection
from onewindow.runtime.problems import ProblemError, responses

router = APIRouter(tags=["applications"])
Followers = Annotated[Actor, Depends(require_roles("applicant", "employer", "officer", "operator"))]
Officers = Annotated[Actor, Depends(require_roles("officer", "operator"))]
# A stream is woken by its own case's changes in this process; it also reads the view
# this often, for changes another gateway process applied.
LIVE_POLL_S = 5.0


def _db(request: Request) -> Any:
    return request.app.state.readmodel_db


def _projection(request: Request) -> Projection:
    projection: Projection = request.app.state.projection
    return projection


def public_view(
    application_id: str, doc: dict[str, Any] | None, *, staff: bool = False
) -> dict[str, Any]:
    """The case as API.md shows it; a case not projected yet is `submitted`.

    Officers and operators (`staff`) also see identity's flags on the case
    (`watchlist_match`, `unverified_applicant`) and the classification with every
    factor's value and points (where the registry's degree differs from the typed one,
    the education factor says so); applicants and employers never do.
    """
    doc = dict(doc or {})
    view: dict[str, Any] = {
        "id": application_id,
        "status": doc.get("status", "submitted"),
        "submitted_at": doc.get("submitted_at"),
        "channel": doc.get("channel"),
        "category": doc.get("category"),
        "points": doc.get("points"),
        "work_permit": doc.get(
            "work_permit", {"status": "pending", "number": None, "valid_until": None, "reasons": []}
        ),
        "residence_permit": doc.get(
            "residence_permit",
            {"status": "pending", "number": None, "valid_until": None, "reasons": []},
        ),
        "decision": doc.get("decision"),
        "deadline": doc.get("deadline", {"due_on": None, "clock": "not_started"}),
        "timeline": doc.get("timeline", []),
    }
    for optional in ("documents_requested", "escalated"):
        if optional in doc:
            view[optional] = doc[optional]
    if staff:
        view["flags"] = doc.get("flags", [])
        view["classification"] = doc.get("classification")
    return view


def _is_staff(actor: Actor) -> bool:
    return actor.role in STAFF_ROLES


async def _visible_case(request: Request, actor: Actor, application_id: str) -> dict[str, Any]:
    owner = await CaseOwners(_db(request)).of_case(application_id)
    doc = await _db(request)[VIEWS].find_one({"_id": application_id})
    if (owner is None and doc is None) or (owner is not None and not may_see(actor, owner)):
        raise ProblemError(404, "not-found", f"No application {application_id} for you.")
    if owner is None and not _is_staff(actor):
        raise ProblemError(404, "not-found", f"No application {application_id} for you.")
    return public_view(application_id, doc, staff=_is_staff(actor))


@router.get(
    "/v1/applications/{application_id}",
    summary="The case as its owner may see it",
    responses=responses(401, 403, 404),
)
async def get_application(
    application_id: str, request: Request, actor: Followers
) -> dict[str, Any]:
    return await _visible_case(request, actor, application_id)


def _cursor(doc: dict[str, Any]) -> str:
    raw = f"{doc.get('submitted_at') or ''}|{doc['_id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _after(cursor: str) -> dict[str, Any]:
    try:
        submitted_at, application_id = base64.urlsafe_b64decode(cursor).decode().split("|", 1)
    except (ValueError, UnicodeDecodeError):
        raise ProblemError(
            422, "validation-error", "The cursor is not one this API gave."
        ) from None
    return {
        "$or": [
            {"submitted_at": {"$lt": submitted_at}},
            {"submitted_at": submitted_at, "_id": {"$lt": application_id}},
        ]
    }


@router.get(
    "/v1/applications",
    summary="The caller's cases, newest first",
    responses=responses(400, 401, 403),
)
async def list_applications(
    request: Request,
    actor: Followers,
    status: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if actor.role == "applicant":
        query["owner_sub"] = actor.sub
    elif actor.role == "employer":
        query["employer_uscc"] = actor.uscc
    if status:
        query["status"] = status
    if cursor:
        query = {"$and": [query, _after(cursor)]}
    docs = (
        await _db(request)[VIEWS]
        .find(query)
        .sort([("submitted_at", -1), ("_id", -1)])
        .limit(limit + 1)
        .to_list(limit + 1)
    )
    page = docs[:limit]
    return {
        "items": [public_view(str(d["_id"]), d, staff=_is_staff(actor)) for d in page],
        "next_cursor": _cursor(page[-1]) if len(docs) > limit else None,
    }


async def _admitted_stream(
    application_id: str, request: Request, actor: Followers
) -> tuple[Actor, StreamSlots]:
    """Before any header is sent: the caller is within its pace of opening streams (else
    429, before the database is asked anything), the case is the caller's (else 404), and
    the caller holds fewer than its cap of open streams (else 429)."""
    enforce(request, "streams", actor)
    await _visible_case(request, actor, application_id)
    return actor, open_stream(request, actor)


@router.get(
    "/v1/applications/{application_id}/events",
    response_class=EventSourceResponse,
    summary="Live status of a case (Server-Sent Events); ends after the final status",
    responses=responses(401, 403, 404, 429),
)
async def application_events(
    application_id: str,
    request: Request,
    admitted: Annotated[tuple[Actor, StreamSlots], Depends(_admitted_stream)],
) -> AsyncIterator[ServerSentEvent]:
    actor, slots = admitted
    projection = _projection(request)
    woken = projection.watch(application_id)
    last: tuple[str, int] | None = None
    try:
        while True:
            woken.clear()
            doc = await _db(request)[VIEWS].find_one({"_id": application_id})
            view = public_view(application_id, doc, staff=_is_staff(actor))
            marker = (view["status"], len(view["timeline"]))
            if marker != last:
                last = marker
                yield ServerSentEvent(event="status", data=view, id=str(len(view["timeline"])))
                if view["status"] in FINAL_STATUSES and view.get("decision"):
                    return
            if await request.is_disconnected():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), LIVE_POLL_S)
    finally:
        projection.unwatch(application_id, woken)
        slots.release(actor.sub)


@router.get(
    "/v1/reviews",
    tags=["officers"],
    summary="Cases waiting for an officer",
    responses=responses(401, 403),
)
async def reviews(request: Request, actor: Officers) -> dict[str, Any]:
    docs = (
        await _db(request)[VIEWS]
        .find({"status": "awaiting_officer"})
        .sort([("submitted_at", 1)])
        .to_list(500)
    )
    return {"items": [public_view(str(d["_id"]), d, staff=True) for d in docs]}


@router.get(
    "/v1/extensions/{extension_id}",
    tags=["extensions"],
    summary="An extension and, once approved, both permits' new validity",
    responses=responses(401, 403, 404),
)
async def get_extension(extension_id: str, request: Request, actor: Followers) -> dict[str, Any]:
    db = _db(request)
    owner_doc = await db["extension_owners"].find_one({"_id": extension_id})
    if owner_doc is None:
        raise ProblemError(404, "not-found", f"No extension {extension_id} for you.")
    owner = await CaseOwners(db).of_case(str(owner_doc["application_id"]))
    if owner is None or not may_see(actor, owner):
        raise ProblemError(404, "not-found", f"No extension {extension_id} for you.")
    doc = await db[EXTENSIONS].find_one({"_id": extension_id}) or {}
    return {
        "id": extension_id,
        "status": doc.get("status", "pending"),
        "work_permit": doc.get("work_permit"),
        "residence_permit": doc.get("residence_permit"),
        "reasons": doc.get("reasons", []),
    }
