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
