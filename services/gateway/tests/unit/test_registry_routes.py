"""The clerks' registry routes: validated here, passed to identity's internal API."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from onewindow.runtime.service_tokens import ActingFor, ServiceCredential

from .support import PROBLEMS, USCC, auth, service_credential, unit_gateway

CLERK = auth("clerk", "carl")
JSON = {"content-type": "application/json"}
CERTIFICATE = {
    "kind": "degree",
    "holder": {"nationality": "nld", "passport_number": "nx4k2p7r1"},
    "issued_on": "2010-06-30",
    "details": {"level": "doctorate"},
}


async def test_a_clerks_write_reaches_identity_with_normalised_values() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.put(
            "/v1/registry/certificates/deg-1", json=CERTIFICATE, headers=CLERK
        )
    assert response.status_code == 200
    (request,) = gateway.identity.requests
    assert (request.method, request.url.path) == ("PUT", "/internal/registry/certificates/deg-1")
    sent = json.loads(request.content)
    assert sent["holder"] == {"nationality": "NLD", "passport_number": "NX4K2P7R1"}
    assert sent["details"] == {"level": "doctorate"}


@pytest.mark.parametrize(
    ("method", "body"),
    [("GET", None), ("PUT", {"name": "Acme", "licence_valid_until": "2030-01-01"})],
)
async def test_identity_is_called_with_the_gateway_s_credential_for_the_clerk(
    method: str, body: dict[str, Any] | None
) -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        await client.request(method, f"/v1/registry/employers/{USCC}", json=body, headers=CLERK)
    (request,) = gateway.identity.requests
    assert service_credential(request, "identity") == ServiceCredential(
        caller="gateway", acting_for=ActingFor(sub="carl", role="clerk")
    )
    # The clerk is named only inside the signed credential.
    assert "x-onewindow-actor" not in request.headers


@pytest.mark.parametrize(
    ("path", "internal"),
    [
        (f"/v1/registry/employers/{USCC.lower()}", f"/internal/registry/employers/{USCC}"),
        ("/v1/registry/certificates/deg-1", "/internal/registry/certificates/deg-1"),
        ("/v1/registry/watchlist/nld/nx4k2p7r1", "/internal/registry/watchlist/NLD/NX4K2P7R1"),
    ],
)
async def test_a_clerk_reads_each_kind_of_record(path: str, internal: str) -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.get(path, headers=CLERK)
    assert response.status_code == 200
    assert gateway.identity.requests[0].url.path == internal


BAD_WRITES: list[tuple[str, str, dict[str, Any], tuple[str | int, ...]]] = [
    ("uscc_check_character", "/v1/registry/employers/91310104MA1FL5KX1A",
     {"name": "Acme", "licence_valid_until": "2030-01-01"}, ("path", "uscc")),
    ("licence_not_a_date", f"/v1/registry/employers/{USCC}",
     {"name": "Acme", "licence_valid_until": "2030-13-01"}, ("body", "licence_valid_until")),
    ("holder_country_unknown", "/v1/registry/certificates/deg-1",
     {**CERTIFICATE, "holder": {"nationality": "XXA1", "passport_number": "NX4K2P7R1"}},
     ("body", "holder", "nationality")),
    ("degree_without_level", "/v1/registry/certificates/deg-1",
     {**CERTIFICATE, "details": {}}, ("body",)),
    ("validity_before_issue", "/v1/registry/certificates/deg-1",
     {**CERTIFICATE, "valid_until": "2009-01-01"}, ("body",)),
    ("certificate_id_starts_with_a_dot", "/v1/registry/certificates/.hidden",
     CERTIFICATE, ("path", "certificate_id")),
    ("watchlist_passport_too_long", "/v1/registry/watchlist/NLD/NX4K2P7R1234",
     {"note": "alert"}, ("path", "passport_number")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "path", "body", "loc"), BAD_WRITES, ids=[b[0] for b in BAD_WRITES]
)
async def test_a_malformed_registry_write_is_422_and_never_reaches_identity(
    rule: str, path: str, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.put(path, json=body, headers=CLERK)
    assert response.status_code == 422, rule
    assert response.json()["type"] == PROBLEMS + "validation-error"
    assert loc in [tuple(e["loc"]) for e in response.json()["errors"]]
    assert gateway.identity.requests == []


@pytest.mark.parametrize(
    ("error", "calls"),
    [
        # Refused without an answer: tried once more, then given up.
        (httpx.ConnectError("connection refused"), 2),
        # Timed out: identity is slow, and a second call would only add to its load.
        (httpx.ReadTimeout("timed out"), 1),
    ],
)
async def test_identity_unreachable_is_a_503_problem(error: httpx.HTTPError, calls: int) -> None:
    gateway = unit_gateway()

    def down(request: httpx.Request) -> httpx.Response:
        raise error

    gateway.identity.answer = down
    async with gateway.client() as client:
        response = await client.get(f"/v1/registry/employers/{USCC}", headers=CLERK)
    assert response.status_code == 503
    assert response.json()["type"] == PROBLEMS + "upstream-unavailable"
    assert len(gateway.identity.requests) == calls


async def test_a_connection_identity_dropped_without_an_answer_is_tried_once_more() -> None:
    # What 2 of 837 clerks' writes met in `make bench --clerks 100`: identity closed a
    # kept-alive connection as the gateway reused it.
    gateway = unit_gateway()

    def dropped_once(request: httpx.Request) -> httpx.Response:
        if len(gateway.identity.requests) == 1:
            raise httpx.ReadError("", request=request)
        return httpx.Response(200, content=request.content, headers=JSON)

    gateway.identity.answer = dropped_once
    async with gateway.client() as client:
        response = await client.put(
            "/v1/registry/certificates/deg-1", json=CERTIFICATE, headers=CLERK
        )
    assert response.status_code == 200
    assert [r.method for r in gateway.identity.requests] == ["PUT", "PUT"]


async def test_identitys_problem_is_passed_on_under_the_public_path() -> None:
    gateway = unit_gateway()
    gateway.identity.answer = lambda request: httpx.Response(
        404,
        json={
            "type": PROBLEMS + "not-found",
            "title": "Not found",
            "status": 404,
            "detail": "employer is not in the registry",
            "instance": request.url.path,
        },
        headers={"content-type": "application/problem+json"},
    )
    async with gateway.client() as client:
        response = await client.get(f"/v1/registry/employers/{USCC}", headers=CLERK)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == f"/v1/registry/employers/{USCC}"


async def test_a_plain_error_from_identity_becomes_a_problem() -> None:
    gateway = unit_gateway()
    gateway.identity.answer = lambda _r: httpx.Response(404, json={"detail": "Not Found"})
    async with gateway.client() as client:
        response = await client.get(f"/v1/registry/employers/{USCC}", headers=CLERK)
    assert response.status_code == 404
    assert response.json()["type"] == PROBLEMS + "not-found"


async def test_a_created_record_is_201_with_its_public_location() -> None:
    gateway = unit_gateway()
    gateway.identity.answer = lambda r: httpx.Response(
        201, content=r.content, headers={"Location": r.url.path}
    )
    async with gateway.client() as client:
        response = await client.put(
            f"/v1/registry/employers/{USCC}",
            json={"name": "Acme", "licence_valid_until": "2030-01-01"},
            headers=CLERK,
        )
    assert response.status_code == 201
    assert response.headers["location"] == f"/v1/registry/employers/{USCC}"


async def test_certificates_of_one_holder_are_listed() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.get(
            "/v1/registry/certificates",
            params={"nationality": "nld", "passport_number": "nx4k2p7r1"},
            headers=CLERK,
        )
    assert response.status_code == 200
    (request,) = gateway.identity.requests
    assert request.url.path == "/internal/registry/certificates"
    assert dict(request.url.params) == {"nationality": "NLD", "passport_number": "NX4K2P7R1"}
