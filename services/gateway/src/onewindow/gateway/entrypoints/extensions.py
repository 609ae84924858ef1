"""Write route of the online extension (API.md "Extensions")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.api.applications import Accepted, ExtensionRequest
from onewindow.gateway.application.gateway import Gateway
from onewindow.gateway.entrypoints.answers import respond
from onewindow.gateway.entrypoints.dependencies import gateway, idempotency_key, require_roles
from onewindow.runtime.problems import responses

extensions = APIRouter(tags=["extensions"])

PermitNumber = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9-]+$",
        description="The work permit's number.",
    ),
]


@extensions.post(
    "/v1/work-permits/{number}/extensions",
    status_code=202,
    summary="Apply online to extend a work permit (and the residence permit with it)",
    response_model=Accepted,
    responses={
        202: {"model": Accepted, "description": "Accepted; `Location` names the extension."},
        **responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
    },
)
async def request_extension(
    number: PermitNumber,
    body: ExtensionRequest,
    actor: Annotated[Actor, Depends(require_roles("applicant", "employer"))],
    key: Annotated[str, Depends(idempotency_key)],
    uses: Annotated[Gateway, Depends(gateway)],
) -> JSONResponse:
    """The holder or the employer asks for an extension to the new contract end.

    `Idempotency-Key` is required. Whether the request falls in the window
    (30–90 days before expiry) is decided by the permit services.
    """
    return respond(await uses.request_extension(actor, number, body.contract_end, key))
