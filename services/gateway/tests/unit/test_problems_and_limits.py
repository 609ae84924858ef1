"""Every error is an RFC 9457 problem; bodies over 1 MiB are 413, bodies not JSON 415."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter
from pymongo.errors import AutoReconnect

from .support import PROBLEMS, application, auth, unit_gateway

MIB = 1024 * 1024

boom = APIRouter()


@boom.get("/boom")
async def explode() -> None:
    raise RuntimeError("secret internals /srv/app.py line 42")


@boom.get("/database-away")
async def database_away() -> None:
    raise AutoReconnect("connection pool paused")


def assert_problem(response_json: dict[str, object], status: int, name: str | None) -> None:
    assert set(response_json) >= {"type", "title", "status", "detail"}
    assert response_json["status"] == status
    assert response_json["type"] == (PROBLEMS + name if name else "about:blank")
    assert isinstance(response_json["title"], str)
    assert isinstance(response_json["detail"], str)


async def test_an_unknown_path_is_a_404_problem() -> None:
    async with unit_gateway().client() as client:
        response = await client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert_problem(response.json(), 404, "not-found")


async def test_a_wrong_method_is_a_405_problem() -> None:
    async with unit_gateway().client() as client:
        response = await client.delete("/v1/applications")
    assert response.status_code == 405
    assert_problem(response.json(), 405, "method-not-allowed")


async def test_a_fault_is_a_500_problem_without_the_trace() -> None:
    async with unit_gateway(routers=[boom]).client() as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert_problem(response.json(), 500, "internal-error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_a_database_outage_is_a_503_problem_to_retry_not_a_fault() -> None:
    async with unit_gateway(routers=[boom]).client() as client:
        response = await client.get("/database-away")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "2"
    assert_problem(response.json(), 503, "upstream-unavailable")
    assert "pool" not in response.text


async def test_a_validation_error_lists_each_broken_rule_with_its_location() -> None:
    body = application(**{"applicant.nationality": "XXX", "position.months_in_china_per_year": 13})
    async with unit_gateway().client() as client:
        response = await client.post(
            "/v1/applications", json=body, headers={**auth(), "Idempotency-Key": KEY}
        )
    assert response.status_code == 422
    problem = response.json()
    assert_problem(problem, 422, "validation-error")
    locations = {tuple(e["loc"]): e["msg"] for e in problem["errors"]}
    assert ("body", "applicant", "nationality") in locations
    assert "ISO 3166-1" in locations["body", "applicant", "nationality"]
    assert ("body", "position", "months_in_china_per_year") in locations


async def test_a_body_that_is_not_json_is_a_400_problem() -> None:
    async with unit_gateway().client() as client:
        response = await client.post(
            "/v1/applications",
            content=b'{"applicant": ',
            headers={**auth(), "Idempotency-Key": KEY, "Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert_problem(response.json(), 400, "malformed-request")


KEY = "0b7e7f0e-8d0a-4a53-9b54-6a1f3f0f2c11"


@pytest.mark.parametrize("size", [MIB + 1, 3 * MIB])
async def test_a_body_over_one_mebibyte_is_413(size: int) -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications",
            content=b"[" + b"0," * (size // 2) + b"0]",
            headers={**auth(), "Idempotency-Key": KEY, "Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert_problem(response.json(), 413, "payload-too-large")
    assert gateway.nothing_stored_or_sent()


async def test_a_streamed_body_over_one_mebibyte_is_413_even_without_a_length() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * (128 * 1024)

    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications",
            content=chunks(),
            headers={**auth(), "Idempotency-Key": KEY, "Content-Type": "application/json"},
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert gateway.nothing_stored_or_sent()


async def test_a_body_of_exactly_one_mebibyte_is_read() -> None:
    async with unit_gateway().client() as client:
        response = await client.post(
            "/v1/applications",
            content=b" " * (MIB - 2) + b"{}",
            headers={**auth(), "Idempotency-Key": KEY, "Content-Type": "application/json"},
        )
    assert response.status_code == 422  # read and validated, not refused for its size


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
async def test_a_body_that_is_not_json_is_415(content_type: str | None) -> None:
    gateway = unit_gateway()
    headers = {**auth(), "Idempotency-Key": KEY}
    if content_type:
        headers["Content-Type"] = content_type
    async with gateway.client() as client:
        response = await client.post("/v1/applications", content=b"{}", headers=headers)
    assert response.status_code == 415
    assert_problem(response.json(), 415, "unsupported-media-type")
    assert gateway.nothing_stored_or_sent()


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/problem+json"]
)
async def test_json_with_parameters_or_a_json_suffix_is_accepted(content_type: str) -> None:
    gateway = unit_gateway()
    headers = {**auth(), "Idempotency-Key": KEY, "Content-Type": content_type}
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", content=json_bytes(application()), headers=headers
        )
    assert response.status_code == 202


async def test_a_post_without_a_body_needs_no_content_type() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post("/v1/applications/unknown/withdrawal", headers=auth())
    assert response.status_code == 404  # reached the route: the case is not the caller's


def json_bytes(body: object) -> bytes:
    import json

    return json.dumps(body).encode()
