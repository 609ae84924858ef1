"""`DELETE /v1/people/{nationality}/{passport_number}`: an officer erases a person
(API.md v1.1, DOMAIN.md "Erasure"; the rules are in `application.erasure`)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.application.erasure import Erasure
from onewindow.gateway.entrypoints.dependencies import require_roles
from onewindow.runtime.problems import responses
from onewindow.runtime.validation import validate_country, validate_passport_number

people = APIRouter(prefix="/v1/people", tags=["people"])

Officer = Annotated[Actor, Depends(require_roles("officer"))]
NationalityPath = Annotated[
    str,
    Path(max_length=8, pattern=r"^[A-Za-z]{3}$", description="ISO 3166-1 alpha-3"),
    AfterValidator(validate_country),
]
PassportPath = Annotated[
    str,
    Path(max_length=16, pattern=r"^[A-Za-z0-9]{5,9}$", description="5 to 9 letters or digits"),
    AfterValidator(validate_passport_number),
]


class Erased(BaseModel):
    """The erasure is done: the keys of `cases` cases are destroyed (every service stops
    reading the person's data within a minute, when its cached keys lapse)."""

    status: str = "erased"
    cases: int


def erasure(request: Request) -> Erasure:
    return cast(Erasure, request.app.state.erasure)


@people.delete(
    "/{nationality}/{passport_number}",
    status_code=202,
    summary="Erase a person's personal data (officer)",
    response_model=Erased,
    responses={
        202: {"model": Erased, "description": "Erased; a repeat answers the same."},
        **responses(401, 403, 404, 409, 422, 503),
    },
)
async def erase_person(
    nationality: NationalityPath,
    passport_number: PassportPath,
    officer: Officer,
    uses: Annotated[Erasure, Depends(erasure)],
) -> JSONResponse:
    """Destroys the keys of the person's cases: their data on the topics and in the stores
    becomes unreadable, the decisions remain. 409 `open-case` while a case or an extension
    of theirs is open; 409 `retention-period` until five years after their last permit
    expires; 404 when no case of theirs is on record."""
    done = await uses.erase(officer, nationality, passport_number)
    return JSONResponse(Erased(cases=done.cases).model_dump(), status_code=202)
