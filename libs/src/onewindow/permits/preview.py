"""A dry run of a permit's assessment, for the gateway's pre-check (API.md v1.1
`POST /v1/prechecks`): what the service would answer an assessment command now.

The service's own decision (`PermitService.assessment`) runs on a new permit in memory,
exactly as `assess` runs it, and the answer is the integration event the service would
publish for it (`…Reserved`, `…Refused` or `…ReviewRequired`, with the classification where
the service tells one). Nothing is stored, no number is allocated (a reservation names
`UNALLOCATED`), nothing is published. So the pre-check and the decision share one source
of the rules and of the policy in force, the service's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from onewindow.contracts.message import Event
from onewindow.permits.service import PermitCommand, PermitService
from onewindow.runtime.service_tokens import (
    InternalRoute,
    ServiceCredentialVerifier,
    service_credential,
)

PREVIEW_PATH = "/internal/assessments/preview"
# What a previewed reservation names instead of a number (numbers are never reused, so a
# dry run must not take one).
UNALLOCATED = "UNALLOCATED"


def preview(permits: PermitService[Any, Any], command: PermitCommand) -> Event:
    """The integration event `permits.assess(command)` would publish now for a new permit.

    Raises `LookupError` when the decision publishes nothing (an assessment always does).
    """
    kind = permits.kind
    permit = kind.aggregate(command.application_id)
    events = permits.assessment(command)(permit, UNALLOCATED)  # recorded on `permit`
    told = [m for e in events if (m := kind.publication.integration_event(permit, e)) is not None]
    if not told:
        raise LookupError(f"{kind.name}: the decision would publish nothing")
    return told[-1]


def preview_router(
    permits: PermitService[Any, Any], credentials: ServiceCredentialVerifier
) -> APIRouter:
    """`POST /internal/assessments/preview` with the service's assessment command's JSON →
    200 `{"type": <the event's type>, "event": <its JSON>}`; a body that is not the command
    is a 422. Internal: the gateway calls it after checking the caller, with a service
    credential `credentials` accepts (without one: a 401 problem)."""
    command = permits.kind.assessment
    router = APIRouter(
        tags=["internal"],
        route_class=InternalRoute,
        dependencies=[Depends(service_credential(credentials))],
    )

    async def preview_assessment(body: Any) -> dict[str, Any]:
        event = preview(permits, body)
        return {"type": event.TYPE, "event": event.model_dump(mode="json")}

    # The body's model is known only here (annotations are strings under `from __future__
    # import annotations`, which FastAPI would look up among this module's names).
    preview_assessment.__annotations__["body"] = command
    summary = f"What {command.__name__} would be answered now (nothing is stored)"
    router.post(PREVIEW_PATH, summary=summary)(preview_assessment)
    return router
