"""The reference web app (the repository's `web/` folder) at `/`, and, in development only,
the sign-in page's development tokens.

The app is static: `web/index.html` at `/`, its modules and styles under `/web/static/`,
the libraries `make web` vendors from npm under `/web/vendor/`. It talks to the public
API only, with the caller's token in the `Authorization` header. Where the folder is not
found (a deployment that serves the app elsewhere), nothing is mounted.

`GET /dev/tokens` and `POST /dev/tokens` exist only when `ONEWINDOW_ENV=development`:
they sign a token for any role with the gateway's own key, as `onewindow token` does, so
a developer can sign in from the browser. Anywhere else they are 404 like any unknown path.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator

from onewindow.gateway.settings import GatewaySettings
from onewindow.ops.tokens import parse_passport_claim
from onewindow.runtime.problems import ProblemError
from onewindow.runtime.validation import InvalidInput, validate_uscc

log = logging.getLogger(__name__)

DEVELOPMENT = "development"
DEV_TOKEN_TTL_S = 8 * 3600
# The library the app cannot run without; its absence means `make web` has not run.
VENDORED = Path("vendor", "lit-html", "lit-html.js")
NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8"><title>One Window</title>
<main><h1>One Window</h1><p>The web app's libraries are not vendored yet: run
<code>make web</code> (or <code>make run</code>, which does) and reload.</p>
<p>The API is at <a href="/docs">/docs</a>.</p></main></html>"""


def web_folder(configured: str) -> Path | None:
    """The web app's folder: the configured one, else `web/` beside the source tree."""
    if configured:
        return Path(configured) if (Path(configured) / "index.html").is_file() else None
    for parent in Path(__file__).resolve().parents:
        if (parent / "web" / "index.html").is_file():
            return parent / "web"
    return None


class DevTokenRequest(BaseModel):
    """A development token's claims: who, in which role (and an employer's USCC, an
    applicant's verified passport `NAT:NUMBER`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Literal["applicant", "employer", "officer", "operator", "clerk"]
    sub: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
    uscc: str | None = None
    passport: str | None = None

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        try:
            return validate_uscc(value) if value else None
        except InvalidInput as error:
            raise ValueError(error.message) from None

    @field_validator("passport")
    @classmethod
    def _passport(cls, value: str | None) -> str | None:
        try:
            return parse_passport_claim(value) if value else None
        except InvalidInput as error:
            raise ValueError(error.message) from None


def dev_tokens(settings: GatewaySettings) -> APIRouter:
    """The development sign-in's token routes, signing with this gateway's key."""
    router = APIRouter(prefix="/dev/tokens", tags=["development"])

    @router.get("", summary="Development sign-in is available (development only)")
    async def available() -> dict[str, Any]:
        return {"roles": ["applicant", "employer", "officer", "clerk", "operator"]}

    @router.post("", summary="A development token for any role (development only)")
    async def issue(body: DevTokenRequest) -> dict[str, Any]:
        if body.role == "employer" and not body.uscc:
            raise ProblemError(422, "validation-error", "An employer's token needs its uscc.")
        issued = int(time.time())
        claims: dict[str, Any] = {
            "sub": body.sub,
            "role": body.role,
            "aud": settings.jwt_audience,
            "iat": issued,
            "exp": issued + DEV_TOKEN_TTL_S,
        }
        if body.uscc and body.role == "employer":
            claims["uscc"] = body.uscc
        if body.passport and body.role == "applicant":
            claims["passport"] = body.passport
        if settings.jwt_issuer:
            claims["iss"] = settings.jwt_issuer
        token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
        return {"token": token, "claims": claims}

    return router


def install_web(app: FastAPI, settings: GatewaySettings) -> None:
    """Serve the web app at `/` (when its folder is found), and the development tokens
    (in development only)."""
    if settings.environment == DEVELOPMENT:
        app.include_router(dev_tokens(settings), include_in_schema=False)
    folder = web_folder(settings.web_dir)
    if folder is None:
        log.info("no web app folder found; / is not served")
        return
    index = folder / "index.html"
    built = (folder / VENDORED).is_file()

    @app.get("/", include_in_schema=False, response_model=None)
    async def web_app() -> FileResponse | HTMLResponse:
        if not (folder / VENDORED).is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.mount("/web/static", StaticFiles(directory=folder / "static"), name="web-static")
    # Mounted even before `make web`, so the first request after it finds the files.
    (folder / "vendor").mkdir(exist_ok=True)
    app.mount("/web/vendor", StaticFiles(directory=folder / "vendor"), name="web-vendor")
    if not built:
        log.warning("web app at %s is not built: run `make web`", folder)
