"""RFC 9457 problem details for the internal HTTP API, raised and rendered in one place."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from onewindow.runtime.service_tokens import InternalRoute

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://onewindow.example/problems/"


class Problem(Exception):
    """An error answered as `application/problem+json`."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: Sequence[dict[str, Any]] = (),
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = list(errors)

    def response(self, instance: str) -> JSONResponse:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status, media_type=PROBLEM_JSON)


def invalid(errors: Sequence[dict[str, Any]]) -> Problem:
    """422: the request names or carries something the registry cannot accept."""
    return Problem(
        422,
        "validation-error",
        "Invalid request",
        "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
        errors,
    )


def forbidden(detail: str) -> Problem:
    """403: the caller is known, but not allowed to do this."""
    return Problem(403, "forbidden", "Not allowed for this caller", detail)


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", f"{what} is not in the registry")


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]


class ProblemRoute(InternalRoute):
    """A route whose errors, request validation and a refused service credential
    included, are problem details.

    Kept on the router rather than the app, so the routes answer the same way
    whichever app mounts them.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return invalid(_validation_errors(exc)).response(request.url.path)
            except Problem as problem:
                return problem.response(request.url.path)

        return route
