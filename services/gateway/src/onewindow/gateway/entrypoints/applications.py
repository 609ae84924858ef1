"""Write routes of a case (API.md "Applications" and "Officers")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.api.applications import (
    Accepted,
    ApplicationRequest,
    DocumentsSupplied,
    ReviewRequest,
)
from onewindow.gateway.api.mapping import to_documents, to_form
from onewindow.gateway.application.gateway import Gateway
from onewindow.gateway.entrypoints.answers import respond
from onewindow.gateway.entrypoints.dependencies import (
    gateway,
    idempotency_key,
    optional_idempotency_key,
    require_roles,
)
from onewindow.gateway.entrypoints.rate_limits import enforce
from onewindow.runtime.problems import responses

applications = APIRouter(prefix="/v1/applications", tags=["applications"])
officers = APIRouter(prefix="/v1/applications", tags=["officers"])

ApplicationId = Annotated[str, Path(max_length=64, description="The application's id.")]
Owner = Annotated[Actor, Depends(require_roles("applicant", "employer"))]
Officer = Annotated[Actor, Depends(require_roles("officer"))]
Uses = Annotated[Gateway, Depends(gateway)]
Key = Annotated[str, Depends(idempotency_key)]
OptionalKey = Annotated[str | None, Depends(optional_idempotency_key)]
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": Accepted, "description": "Accepted; `Location` names the case."}
}


@applications.post(
    "",
    status_code=202,
    summary="Submit a combined work and residence permit application",
    response_model=Accepted,
    responses={**ACCEPTED, **responses(400, 401, 403, 409, 413, 415, 422, 429, 503)},
)
async def submit_application(
    body: ApplicationRequest, actor: Owner, key: Key, uses: Uses, request: Request
) -> JSONResponse:
    """Accepts the application (202 with `Location`) once the command is on the bus.

    `Idempotency-Key` is required: a repeat with the same key and body gets the
    first answer; with a different body, 422; while the first is running, 409.
    An employer may submit only for its own USCC, and may name the employee's account
    (`applicant.account`); a verified applicant only for the passport it was verified for.
    """
    enforce(request, "submissions", actor)
    form, account = to_form(body), body.applicant.account
    return respond(await uses.submit_application(actor, form, key, account=account))


@applications.post(
    "/{application_id}/documents",
    status_code=202,
    summary="Supply documents asked for by a supplement request",
    response_model=Accepted,
    responses={**ACCEPTED, **responses(400, 401, 403, 404, 413, 415, 422, 503)},
)
async def supply_documents(
    application_id: ApplicationId,
    body: DocumentsSupplied,
    actor: Owner,
    key: OptionalKey,
    uses: Uses,
) -> JSONResponse:
    """The applicant (or employer) cites the documents asked for; the clock restarts."""
    documents = to_documents(body.documents)
    return respond(
        await uses.supply_documents(
            actor, application_id, documents, key, registration_number=body.registration_number
        )
    )


@applications.post(
    "/{application_id}/withdrawal",
    status_code=202,
    summary="Withdraw an application before its decision",
    response_model=Accepted,
    responses={**ACCEPTED, **responses(400, 401, 403, 404, 409, 503)},
)
async def withdraw_application(
    application_id: ApplicationId, actor: Owner, key: OptionalKey, uses: Uses
) -> JSONResponse:
    """Withdraws the case and cancels any reservation; 409 once the case is decided."""
    return respond(await uses.withdraw(actor, application_id, key))


@officers.post(
    "/{application_id}/reviews",
    status_code=202,
    summary="Record an officer's review of one permit",
    response_model=Accepted,
    responses={**ACCEPTED, **responses(400, 401, 403, 404, 413, 415, 422, 503)},
)
async def record_review(
    application_id: ApplicationId,
    body: ReviewRequest,
    officer: Officer,
    key: OptionalKey,
    uses: Uses,
) -> JSONResponse:
    """An officer approves or refuses one side, or asks the applicant for documents."""
    answer = await uses.record_review(
        officer,
        application_id,
        permit=body.permit,
        decision=body.decision,
        reason=body.reason,
        documents=body.documents,
        key=key,
    )
    return respond(answer)
