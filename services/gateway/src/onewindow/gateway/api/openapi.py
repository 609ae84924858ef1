"""The OpenAPI document says everything a route may answer, and how routes chain.

FastAPI documents what each route declares; the gateway also answers from layers every
route passes through, the same way on each (API.md "Conventions"):

- a route behind a bearer token answers 401 without a valid one (with
  `WWW-Authenticate`) and 403 to a role that may not act;
- a `POST`/`PUT`/`PATCH` body is refused at the door: 400 (a `Content-Length` that is not
  a number, a body that is not JSON), 413 (too large), 415 (not JSON; a form's route: not
  `multipart/form-data`), whether or not the route reads a body;
- a route with parameters or a body answers 422 for input that breaks them, as a problem
  (`application/problem+json`), never FastAPI's own `HTTPValidationError`;
- 429 carries `Retry-After`; 201 and 202 name what they made in `Location`;
- `Idempotency-Key` is a UUID, required where a `POST` creates a case or an extension
  (400 without it; FastAPI can only call it optional, since the route answers its absence).

`complete` adds those answers to every operation, as problems, and the `links` that
chain operations (a submitted case to its view, its events, withdrawal, supplements and
an officer's review; an upload to its download; a registry record written to its read),
which clients and stateful API fuzzers (`make fuzz`) follow. `/readyz` and `/metrics`
are left out: they are operations' probes, not the public API, and a deployment serves
them on a management port of their own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from onewindow.runtime.problems import PROBLEM_MEDIA_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
BODY_METHODS = frozenset({"post", "put", "patch"})
# Paths of the service host that are not the public API.
PROBES = frozenset({"/readyz", "/metrics"})
# FastAPI's own 422 schemas, unused once every 422 is a problem.
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")

HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": 'The bearer challenge: `Bearer realm="onewindow"`.',
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "201": {
        "Location": {"description": "Where what was made is read.", "schema": {"type": "string"}}
    },
    "202": {
        "Location": {
            "description": "Where the work's progress is read.",
            "schema": {"type": "string"},
        }
    },
}


def _ref(path: str, method: str) -> str:
    """A JSON pointer to an operation (an `operationRef`)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _link(path: str, method: str, description: str, **parameters: str) -> dict[str, Any]:
    return {
        "operationRef": _ref(path, method),
        "description": description,
        "parameters": parameters,
    }


CASE = "/v1/applications/{application_id}"
NEW_CASE = "$response.body#/id"
REGISTRY_LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "/v1/registry/employers/{uscc}": {
        "GetEmployer": _link(
            "/v1/registry/employers/{uscc}", "get", "Read it back.", uscc="$request.path.uscc"
        ),
    },
    "/v1/registry/certificates/{certificate_id}": {
        "GetCertificate": _link(
            "/v1/registry/certificates/{certificate_id}",
            "get",
            "Read it back.",
            certificate_id="$request.path.certificate_id",
        ),
        "GetHolderCertificates": _link(
            "/v1/registry/certificates",
            "get",
            "Its holder's certificates.",
            nationality="$request.body#/holder/nationality",
            passport_number="$request.body#/holder/passport_number",
        ),
    },
    "/v1/registry/watchlist/{nationality}/{passport_number}": {
        "GetWatchlistEntry": _link(
            "/v1/registry/watchlist/{nationality}/{passport_number}",
            "get",
            "Read it back.",
            nationality="$request.path.nationality",
            passport_number="$request.path.passport_number",
        ),
    },
}
LINKS: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
    ("/v1/applications", "post", "202"): {
        "GetApplication": _link(CASE, "get", "The case.", application_id=NEW_CASE),
        "FollowApplication": _link(
            CASE + "/events", "get", "Its live status.", application_id=NEW_CASE
        ),
        "WithdrawApplication": _link(
            CASE + "/withdrawal", "post", "Withdraw it.", application_id=NEW_CASE
        ),
        "SupplyDocuments": _link(
            CASE + "/documents", "post", "Answer a supplement request.", application_id=NEW_CASE
        ),
        "ReviewApplication": _link(
            CASE + "/reviews", "post", "An officer's review.", application_id=NEW_CASE
        ),
        "GetEvidence": _link(
            CASE + "/evidence", "get", "The registry's records of it.", application_id=NEW_CASE
        ),
    },
    ("/v1/applications", "get", "200"): {
        "GetFirstApplication": _link(
            CASE, "get", "The first case listed.", application_id="$response.body#/items/0/id"
        ),
    },
    ("/v1/reviews", "get", "200"): {
        "ReviewFirstApplication": _link(
            CASE + "/reviews",
            "post",
            "Review the case waiting longest.",
            application_id="$response.body#/items/0/id",
        ),
    },
    **{
        (CASE + tail, "post", "202"): {
            "GetApplication": _link(
                CASE, "get", "The case.", application_id="$request.path.application_id"
            ),
        }
        for tail in ("/withdrawal", "/documents", "/reviews")
    },
    ("/v1/uploads", "post", "201"): {
        "GetUpload": _link(
            "/v1/uploads/{upload_id}", "get", "Download it.", upload_id="$response.body#/upload_id"
        ),
    },
    ("/v1/work-permits/{number}/extensions", "post", "202"): {
        "GetExtension": _link(
            "/v1/extensions/{extension_id}", "get", "The extension.", extension_id=NEW_CASE
        ),
    },
    **{
        (path, "put", status): links
        for path, links in REGISTRY_LINKS.items()
        # 201 for a new record, 200 for one changed.
        for status in ("200", "201")
    },
}


IDEMPOTENCY_KEY = "Idempotency-Key"
# The operations whose `Idempotency-Key` is required (API.md "Conventions").
KEY_REQUIRED = frozenset(
    {("/v1/applications", "post"), ("/v1/work-permits/{number}/extensions", "post")}
)


def _document_key(path: str, method: str, operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name") == IDEMPOTENCY_KEY:
            parameter["schema"] = {
                "type": "string",
                "format": "uuid",
                "description": parameter.get("description", ""),
            }
            parameter["required"] = (path, method) in KEY_REQUIRED


def problem(status: int) -> dict[str, Any]:
    """An OpenAPI response: this status as a problem."""
    return {
        "description": HTTPStatus(status).phrase,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF},
            "application/json": {"schema": PROBLEM_REF},
        },
    }


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schemas = [m.get("schema", {}) for m in response.get("content", {}).values()]
    return any(s.get("$ref", "").endswith("/HTTPValidationError") for s in schemas)


def door_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """What the layers in front of every route may answer for this operation."""
    statuses: set[int] = set()
    if operation.get("security"):
        statuses |= {401, 403}
    if method in BODY_METHODS:
        statuses |= {400, 413, 415}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    return statuses


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every operation's door statuses, headers and links."""
    document = copy.deepcopy(document)
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for probe in PROBES:
        paths.pop(probe, None)
    for path, item in paths.items():
        for method, operation in item.items():
            _document_key(path, method, operation)
            answers: dict[str, Any] = operation.setdefault("responses", {})
            for code in sorted(door_statuses(method, operation)):
                known = answers.get(str(code))
                if known is None or _is_fastapi_validation(known):
                    answers[str(code)] = problem(code)
            for status, headers in HEADERS.items():
                if status in answers:
                    answers[status].setdefault("headers", {}).update(headers)
            for (link_path, link_method, linked), links in LINKS.items():
                if (link_path, link_method) == (path, method) and linked in answers:
                    answers[linked].setdefault("links", {}).update(links)
    schemas = document.get("components", {}).get("schemas", {})
    for name in FASTAPI_VALIDATION:
        schemas.pop(name, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at `/openapi.json` (and `/docs`)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    # FastAPI's documented way to extend its document: replace the app's `openapi` method.
    app.openapi = openapi  # type: ignore[method-assign]
