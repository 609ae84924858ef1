"""Every error becomes a problem details response, in this one place.

Domain errors of the gateway map to problem names here; FastAPI's own
(validation, 404, 405) are translated; anything unforeseen is a 500 problem
without a stack trace (the trace goes to the log).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onewindow.gateway.api.openapi import install_openapi
from onewindow.gateway.domain.admission import Inadmissible
from onewindow.gateway.domain.errors import (
    AccountNotYours,
    CaseDecided,
    CaseNotFound,
    GatewayError,
    IdempotencyKeyReused,
    NotYourCompany,
    PassportNotYours,
    PermitNotFound,
    PersonHasOpenCase,
    PersonInRetention,
    PersonNotFound,
    RequestInProgress,
    UpstreamUnavailable,
)
from onewindow.gateway.domain.uploads import UploadNotAccepted, UploadNotFound, UploadTooLarge
from onewindow.runtime import outages
from onewindow.runtime.problems import (
    NAME_OF_STATUS,
    FieldError,
    Problem,
    ProblemError,
    make_problem,
    problem_response,
    validation_problem,
)

log = logging.getLogger(__name__)

# What a 503 for a database or broker outage asks the client to wait: the services
# resume within a second or two of the server's return (README, "Chaos").
UNAVAILABLE_RETRY_AFTER_S = 2

# Domain error -> (status, problem name). The one table of this mapping.
DOMAIN_PROBLEMS: dict[type[GatewayError], tuple[int, str]] = {
    CaseNotFound: (404, "not-found"),
    PermitNotFound: (404, "not-found"),
    CaseDecided: (409, "case-decided"),
    NotYourCompany: (403, "forbidden"),
    AccountNotYours: (403, "account-not-yours"),
    PassportNotYours: (403, "passport-not-verified"),
    IdempotencyKeyReused: (422, "idempotency-key-reused"),
    RequestInProgress: (409, "request-in-progress"),
    UpstreamUnavailable: (503, "upstream-unavailable"),
    UploadTooLarge: (413, "payload-too-large"),
    UploadNotAccepted: (415, "unsupported-media-type"),
    UploadNotFound: (404, "not-found"),
    PersonNotFound: (404, "not-found"),
    PersonHasOpenCase: (409, "open-case"),
    PersonInRetention: (409, "retention-period"),
}


async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.problem(), exc.headers)


async def on_gateway_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    status, name = next(DOMAIN_PROBLEMS[k] for k in type(exc).__mro__ if k in DOMAIN_PROBLEMS)
    return problem_response(make_problem(status, name, str(exc)))


async def on_inadmissible(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Inadmissible)
    errors = [FieldError(loc=list(v.loc), msg=v.msg) for v in exc.violations]
    return problem_response(make_problem(422, "validation-error", str(exc), errors=errors))


async def on_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "see the status"
    problem = make_problem(exc.status_code, NAME_OF_STATUS.get(exc.status_code), detail)
    return problem_response(problem, dict(exc.headers or {}))


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(validation_problem(exc).problem())


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem, and have the OpenAPI
    document say so: every route's problems, also those of the layers in front of it
    (`api.openapi`)."""
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(GatewayError, on_gateway_error)
    app.add_exception_handler(Inadmissible, on_inadmissible)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    install_openapi(app)


class UnhandledErrors:
    """ASGI middleware: an exception no handler took becomes a 500 problem (a 503 when
    it shows the database or Kafka away).

    Starlette's own catch-all re-raises after answering; this one answers and
    logs the trace once, so the response never carries it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            problem, headers = _unhandled(error, scope.get("path"))
            if started:
                raise
            await problem_response(problem, headers)(scope, receive, send)


def _unhandled(error: Exception, path: object) -> tuple[Problem, dict[str, str] | None]:
    """The answer to an exception no handler took, logged once: the database or Kafka
    away is a 503 to retry (not a fault of ours, no trace); anything else a 500."""
    dependency = outages.unavailable(error)
    if dependency is None:
        log.exception("unhandled error", extra={"path": path})
        return make_problem(500, "internal-error", "An internal error occurred."), None
    log.warning("dependency unavailable", extra={"path": path, "dependency": dependency})
    problem = make_problem(
        503, "upstream-unavailable", f"The {dependency} did not answer; try again."
    )
    return problem, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)}
