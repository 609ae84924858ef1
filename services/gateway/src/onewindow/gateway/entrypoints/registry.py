"""The clerks' registry routes: checked here, stored by identity (API.md "Registry (clerks)").

Only clerks may read or write (403 for every other role). Path and body are
validated at the door; identity answers once the record is durable, and its
answer is passed on. When identity is away the caller gets a 503 problem.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.adapters.identity import IdentityRegistry, RegistryAnswer
from onewindow.gateway.api.fields import REFERENCE_MAX, REFERENCE_PATTERN
from onewindow.gateway.api.registry import CertificateRecord, EmployerRecord, WatchlistEntry
from onewindow.gateway.entrypoints.dependencies import identity_registry, require_roles
from onewindow.runtime.problems import (
    NAME_OF_STATUS,
    PROBLEM_MEDIA_TYPE,
    make_problem,
    problem_body,
    responses,
)
from onewindow.runtime.validation import (
    validate_country,
    validate_passport_number,
    validate_uscc,
)

registry = APIRouter(prefix="/v1/registry", tags=["registry"])

Clerk = Annotated[Actor, Depends(require_roles("clerk"))]
Identity = Annotated[IdentityRegistry, Depends(identity_registry)]
UsccPath = Annotated[
    str,
    Path(max_length=32, description="GB 32100-2015 code, with its check character"),
    AfterValidator(validate_uscc),
]
CertificateId = Annotated[
    str, Path(min_length=1, max_length=REFERENCE_MAX, pattern=REFERENCE_PATTERN)
]
NationalityPath = Annotated[
    str, Path(max_length=8, description="ISO 3166-1 alpha-3"), AfterValidator(validate_country)
]
PassportPath = Annotated[str, Path(max_length=16), AfterValidator(validate_passport_number)]
READ = responses(401, 403, 404, 422, 503)
WRITE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Changed: the record as it now stands."},
    201: {"description": "Recorded: the new record; `Location` names it."},
    **responses(401, 403, 413, 415, 422, 503),
}


def relay(answer: RegistryAnswer, request: Request) -> JSONResponse:
    """Identity's answer under the public path; an error that is not a problem becomes one."""
    public = request.url.path
    if answer.status >= 400 and answer.media_type != PROBLEM_MEDIA_TYPE:
        detail = answer.body.get("detail") if isinstance(answer.body, dict) else None
        problem = make_problem(
            answer.status,
            NAME_OF_STATUS.get(answer.status),
            detail if isinstance(detail, str) else "The registry refused the request.",
        )
        return JSONResponse(
            problem_body(problem), status_code=answer.status, media_type=PROBLEM_MEDIA_TYPE
        )
    body = answer.body
    if answer.status >= 400 and isinstance(body, dict) and "instance" in body:
        body = {**body, "instance": public}  # identity's own path is internal
    headers = {"Location": public} if answer.status == 201 else None
    return JSONResponse(
        body, status_code=answer.status, media_type=answer.media_type, headers=headers
    )


def _json(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json")


@registry.put("/employers/{uscc}", summary="Record an employer", responses=WRITE)
async def put_employer(
    uscc: UsccPath, body: EmployerRecord, clerk: Clerk, identity: Identity, request: Request
) -> JSONResponse:
    """Records (or corrects) an employer's name and licence validity: 201 new, 200 changed."""
    return relay(await identity.put(f"employers/{uscc}", clerk, _json(body)), request)


@registry.get("/employers/{uscc}", summary="Read an employer", responses=READ)
async def get_employer(
    uscc: UsccPath, clerk: Clerk, identity: Identity, request: Request
) -> JSONResponse:
    return relay(await identity.get(f"employers/{uscc}", clerk), request)


@registry.put(
    "/certificates/{certificate_id}", summary="Record a digitised certificate", responses=WRITE
)
async def put_certificate(
    certificate_id: CertificateId,
    body: CertificateRecord,
    clerk: Clerk,
    identity: Identity,
    request: Request,
) -> JSONResponse:
    """Records a certificate for its holder; a degree names its level in `details.level`."""
    path = f"certificates/{certificate_id}"
    return relay(await identity.put(path, clerk, _json(body)), request)


@registry.get("/certificates/{certificate_id}", summary="Read a certificate", responses=READ)
async def get_certificate(
    certificate_id: CertificateId, clerk: Clerk, identity: Identity, request: Request
) -> JSONResponse:
    return relay(await identity.get(f"certificates/{certificate_id}", clerk), request)


@registry.get("/certificates", summary="List the certificates of one holder", responses=READ)
async def certificates_of_holder(
    nationality: Annotated[str, Query(max_length=8), AfterValidator(validate_country)],
    passport_number: Annotated[str, Query(max_length=16), AfterValidator(validate_passport_number)],
    clerk: Clerk,
    identity: Identity,
    request: Request,
) -> JSONResponse:
    """`{"items": [...]}`: every certificate recorded for this passport."""
    query = urlencode({"nationality": nationality, "passport_number": passport_number})
    return relay(await identity.get(f"certificates?{query}", clerk), request)


@registry.put(
    "/watchlist/{nationality}/{passport_number}",
    summary="Put a passport on the watch list",
    responses=WRITE,
)
async def put_watchlist(
    nationality: NationalityPath,
    passport_number: PassportPath,
    body: WatchlistEntry,
    clerk: Clerk,
    identity: Identity,
    request: Request,
) -> JSONResponse:
    """A match raises the `watchlist_match` flag: the case goes to an officer."""
    path = f"watchlist/{nationality}/{passport_number}"
    return relay(await identity.put(path, clerk, _json(body)), request)


@registry.get(
    "/watchlist/{nationality}/{passport_number}",
    summary="Read a watch-list entry",
    responses=READ,
)
async def get_watchlist(
    nationality: NationalityPath,
    passport_number: PassportPath,
    clerk: Clerk,
    identity: Identity,
    request: Request,
) -> JSONResponse:
    path = f"watchlist/{nationality}/{passport_number}"
    return relay(await identity.get(path, clerk), request)
