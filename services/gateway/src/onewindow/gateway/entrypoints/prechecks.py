"""`POST /v1/prechecks` (API.md v1.1): an application checked, nothing stored."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.api.applications import ApplicationRequest
from onewindow.gateway.api.mapping import to_form
from onewindow.gateway.api.prechecks import Precheck
from onewindow.gateway.application.prechecks import Prechecks
from onewindow.gateway.entrypoints.dependencies import require_roles
from onewindow.gateway.entrypoints.rate_limits import enforce
from onewindow.runtime.problems import responses

prechecks = APIRouter(prefix="/v1/prechecks", tags=["applications"])
Checker = Annotated[Actor, Depends(require_roles("applicant", "employer", "clerk"))]


def _prechecks(request: Request) -> Prechecks:
    return cast(Prechecks, request.app.state.prechecks)


@prechecks.post(
    "",
    summary="Check an application before submitting it (nothing is stored)",
    response_model=Precheck,
    responses=responses(400, 401, 403, 413, 415, 422, 429, 503),
)
async def precheck_application(
    body: ApplicationRequest,
    actor: Checker,
    request: Request,
    uses: Annotated[Prechecks, Depends(_prechecks)],
) -> dict[str, Any]:
    """The same body as `POST /v1/applications`, no `Idempotency-Key`: the category and
    every factor's points, the registry's documents for this passport, what is missing
    and why, every reason a submission would be refused for, and the day its decision
    would be due if submitted now. Paced like submissions (429 with `Retry-After`)."""
    enforce(request, "prechecks", actor)
    return await uses.precheck(actor, to_form(body), account=body.applicant.account)
