"""OpenAPI at /docs describes the routes of API.md that the gateway serves."""

from __future__ import annotations

from typing import Any

import pytest

from .support import unit_gateway

ROUTES = [
    ("post", "/v1/applications", "applications"),
    ("post", "/v1/applications/{application_id}/documents", "applications"),
    ("post", "/v1/applications/{application_id}/withdrawal", "applications"),
    ("post", "/v1/applications/{application_id}/reviews", "officers"),
    ("put", "/v1/registry/employers/{uscc}", "registry"),
    ("get", "/v1/registry/employers/{uscc}", "registry"),
    ("put", "/v1/registry/certificates/{certificate_id}", "registry"),
    ("get", "/v1/registry/certificates/{certificate_id}", "registry"),
    ("put", "/v1/registry/watchlist/{nationality}/{passport_number}", "registry"),
    ("get", "/v1/registry/watchlist/{nationality}/{passport_number}", "registry"),
    ("post", "/v1/work-permits/{number}/extensions", "extensions"),
]


@pytest.fixture(scope="module")
async def schema() -> dict[str, object]:
    async with unit_gateway().client() as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, object] = response.json()
    return document


@pytest.mark.parametrize(("method", "path", "tag"), ROUTES)
def test_each_route_of_the_contract_is_documented(
    schema: dict[str, object], method: str, path: str, tag: str
) -> None:
    paths = schema["paths"]
    assert isinstance(paths, dict)
    operation = paths[path][method]
    assert tag in operation["tags"]
    assert operation["summary"]
    assert any(s for s in operation.get("security", [])), "the bearer scheme is declared"


def test_errors_are_documented_as_problems(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/v1/applications"]["post"]
    for status in ("400", "401", "403", "409", "413", "415", "422"):
        assert "application/problem+json" in operation["responses"][status]["content"]
    assert {"type", "title", "status", "detail"} <= set(
        schema["components"]["schemas"]["Problem"]["properties"]
    )
    assert any(
        p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"]
    )


async def test_docs_are_served() -> None:
    async with unit_gateway().client() as client:
        response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def test_every_answer_of_the_door_is_documented_as_a_problem(schema: dict[str, Any]) -> None:
    """What the layers in front of every route answer (api.openapi): 401/403 behind a
    token, 400/413/415 for a body, 422 for input, each a problem, never FastAPI's own."""
    for path, method, operation in _operations(schema):
        statuses = set(operation["responses"])
        expected = set()
        if operation.get("security"):
            expected |= {"401", "403"}
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        if method in ("post", "put", "patch"):
            expected |= {"400", "413", "415"}
        if operation.get("parameters") or "requestBody" in operation:
            expected.add("422")
        assert expected <= statuses, (method, path, expected - statuses)
        for status in expected:
            content = operation["responses"][status]["content"]
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }, (method, path, status)
        if "429" in statuses:
            assert operation["responses"]["429"]["headers"]["Retry-After"]["required"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_idempotency_key_is_a_uuid_required_where_a_post_creates(schema: dict[str, Any]) -> None:
    keys = {
        (path, method): parameter
        for path, method, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "Idempotency-Key"
    }
    assert keys[("/v1/applications", "post")]["required"] is True
    assert keys[("/v1/work-permits/{number}/extensions", "post")]["required"] is True
    assert keys[("/v1/applications/{application_id}/withdrawal", "post")]["required"] is False
    assert {k["schema"]["format"] for k in keys.values()} == {"uuid"}


def test_links_chain_a_case_an_upload_and_registry_records(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    submitted = paths["/v1/applications"]["post"]["responses"]["202"]["links"]
    assert submitted["GetApplication"] == {
        "operationRef": "#/paths/~1v1~1applications~1{application_id}/get",
        "description": "The case.",
        "parameters": {"application_id": "$response.body#/id"},
    }
    assert {"FollowApplication", "WithdrawApplication", "ReviewApplication"} <= set(submitted)
    upload = paths["/v1/uploads"]["post"]["responses"]["201"]["links"]["GetUpload"]
    assert upload["parameters"] == {"upload_id": "$response.body#/upload_id"}
    for status in ("200", "201"):  # a registry record changed or new
        put = paths["/v1/registry/employers/{uscc}"]["put"]["responses"][status]
        assert put["links"]["GetEmployer"]["parameters"] == {"uscc": "$request.path.uscc"}
    for link in (
        link
        for _, _, op in _operations(schema)
        for r in op["responses"].values()
        for link in r.get("links", {}).values()
    ):
        pointer = link["operationRef"].removeprefix("#/paths/")
        path, method = pointer.rsplit("/", 1)
        assert method in paths[path.replace("~1", "/").replace("~0", "~")], link


def test_the_probes_are_not_the_public_api(schema: dict[str, Any]) -> None:
    assert "/readyz" not in schema["paths"]
    assert "/metrics" not in schema["paths"]
    assert "/healthz" in schema["paths"]
