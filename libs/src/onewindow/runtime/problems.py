"""RFC 9457 problem details: the one shape of every error an HTTP API of ours answers,
the gateway's public one and identity's internal registry alike.

Every problem `type` is a URI under `PROBLEM_BASE`
(https://onewindow.example/problems/<name>); the names are stable, clients may
branch on them:

| name | status | when |
|---|---|---|
| `malformed-request` | 400 | the body is not JSON |
| `malformed-form` | 400 | an upload's body is not a well-formed `multipart/form-data` |
| `idempotency-key-missing` | 400 | a creating `POST` without `Idempotency-Key` |
| `idempotency-key-invalid` | 400 | an `Idempotency-Key` that is not a UUID |
| `unauthorized` | 401 | no token, or a token that is not valid |
| `forbidden` | 403 | the caller's role (or company) may not do this |
| `account-not-yours` | 403 | an applicant named an applicant account other than its own |
| `passport-not-verified` | 403 | a verified applicant applied for another passport |
| `not-found` | 404 | no such resource, or not the caller's |
| `method-not-allowed` | 405 | the path exists, the method does not |
| `request-in-progress` | 409 | the first request with this key is still being processed |
| `case-decided` | 409 | the case has its decision already |
| `open-case` | 409 | an erasure while the person has an open case or extension |
| `retention-period` | 409 | an erasure while a permit of the person is in retention |
| `payload-too-large` | 413 | a body over 1 MiB; an uploaded file over 10 MiB |
| `unsupported-media-type` | 415 | a body that is not JSON (an upload's: not a form); a file |
| | | that is not a PDF, JPEG or PNG by content |
| `validation-error` | 422 | the request breaks a rule; `errors` lists each `{loc, msg}` |
| `too-many-requests` | 429 | the caller's account or address is over its rate; see `Retry-After` |
| `idempotency-key-reused` | 422 | the same key was used with a different request |
| `internal-error` | 500 | a fault of ours (never bad input) |
| `upstream-unavailable` | 503 | Kafka or the identity service did not answer |

Other statuses use `about:blank` (RFC 9457 §4.2.1): the status says it all.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_BASE = "https://onewindow.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES: dict[str, str] = {
    "malformed-request": "The request body is not valid JSON",
    "malformed-form": "The request body is not a well-formed form",
    "idempotency-key-missing": "Idempotency-Key header required",
    "idempotency-key-invalid": "Idempotency-Key must be a UUID",
    "unauthorized": "Authentication required",
    "forbidden": "Not allowed for this caller",
    "account-not-yours": "Only an employer names another applicant account",
    "passport-not-verified": "Not the passport this account is verified for",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "request-in-progress": "The first request with this key is still being processed",
    "case-decided": "The case has been decided",
    "open-case": "The person has an open case",
    "retention-period": "The person's records are inside their retention period",
    "payload-too-large": "Request body too large",
    "unsupported-media-type": "Unsupported media type",
    "validation-error": "The request is not valid",
    "idempotency-key-reused": "Idempotency-Key reused with a different request",
    "too-many-requests": "Too many requests",
    "internal-error": "Internal error",
    "upstream-unavailable": "A service behind the gateway is unavailable",
    "mrz-not-found": "No machine readable zone was found",
    "mrz-invalid": "The machine readable zone does not hold",
}

# The problem name of an error raised as a bare status (Starlette's 404, 405, …).
NAME_OF_STATUS: dict[int, str] = {
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "upstream-unavailable",
}


def problem_type(name: str) -> str:
    """The URI of a problem name."""
    return PROBLEM_BASE + name


class FieldError(BaseModel):
    """One broken rule: where (`loc`, as FastAPI names it) and what (`msg`)."""

    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[problem_type("validation-error")])
    title: str
    status: int
    detail: str
    # The path the problem is about (RFC 9457 §3.1.5); identity's registry names it.
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raised anywhere in a request to answer with this problem."""

    def __init__(
        self,
        status: int,
        name: str | None,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.name = name
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def problem(self, instance: str | None = None) -> Problem:
        problem = make_problem(self.status, self.name, self.detail, errors=self.errors)
        return problem.model_copy(update={"instance": instance})


def make_problem(
    status: int, name: str | None, detail: str, *, errors: list[FieldError] | None = None
) -> Problem:
    """A problem of a known name, or `about:blank` with the status's own phrase."""
    if name is None:
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
        return Problem(type="about:blank", title=title, status=status, detail=detail)
    return Problem(
        type=problem_type(name), title=TITLES[name], status=status, detail=detail, errors=errors
    )


def problem_body(problem: Problem) -> dict[str, Any]:
    """The JSON object of a problem, without absent optional members."""
    return problem.model_dump(mode="json", exclude_none=True)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for routes: each status documented as a problem."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    """A response carrying a problem, with its media type."""
    return JSONResponse(
        problem_body(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """FastAPI's (pydantic's) validation errors as `{loc, msg}`, with pydantic's prefixes
    dropped. Never the input: a submitted value stays out of the answer and the logs."""
    found = []
    for error in errors:
        message = str(error.get("msg", "invalid"))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        found.append(FieldError(loc=loc, msg=message))
    return found


def invalid(errors: list[FieldError]) -> ProblemError:
    """422 `validation-error`: the detail names the first three broken rules."""
    summary = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors[:3])
    return ProblemError(422, "validation-error", summary or "invalid request", errors=errors)


def validation_problem(exc: RequestValidationError) -> ProblemError:
    """FastAPI's refusal of a request as a problem: a body that is not JSON is 400
    `malformed-request`, anything else 422 `validation-error`."""
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return ProblemError(400, "malformed-request", "The body could not be parsed as JSON.")
    return invalid(field_errors(errors))


class ProblemRoute(APIRoute):
    """A route whose errors (a `ProblemError`, FastAPI's refusal of the request) are
    answered as problems naming the path. Combine it with
    `service_tokens.InternalRoute` for an internal API, whose refused credential is a
    401 problem too.

    Kept on the router rather than the app, so the routes answer the same way whichever
    app mounts them (the gateway's app has handlers of its own, `entrypoints.errors`).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                refused = validation_problem(exc)
            except ProblemError as exc:
                refused = exc
            return problem_response(refused.problem(request.url.path), refused.headers)

        return route
