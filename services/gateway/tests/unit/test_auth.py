"""Bearer tokens and roles: 401 without a valid token, 403 for a role that may not act."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

from onewindow.gateway.settings import DEVELOPMENT_JWT_SECRET, GatewaySettings

from .support import (
    AUDIENCE,
    PROBLEMS,
    SECRET,
    USCC,
    make_token,
    service_credential,
    unit_gateway,
)

CLERK_ROUTE = f"/v1/registry/employers/{USCC}"
FORGER_KEY = "another-secret-long-enough-for-hs256"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


INVALID_TOKENS: list[tuple[str, dict[str, str]]] = [
    ("no_authorization_header", {}),
    ("not_a_bearer_scheme", {"Authorization": "Basic dXNlcjpwYXNz"}),
    ("not_a_jwt", bearer("not.a.jwt")),
    ("expired", bearer(make_token("clerk", "carl", expires_in=-120))),
    ("wrong_audience", bearer(make_token("clerk", "carl", audience="someone-else"))),
    (
        "bad_signature",
        bearer(make_token("clerk", "carl", secret=FORGER_KEY)),
    ),
    ("unknown_role", bearer(make_token("president", "carl"))),
    ("employer_without_uscc", bearer(make_token("employer", "hr"))),
    ("employer_with_bad_uscc", bearer(make_token("employer", "hr", uscc="91310104MA1FL5KX1A"))),
    (
        "no_expiry",
        bearer(jwt.encode({"sub": "carl", "role": "clerk", "aud": AUDIENCE}, SECRET, "HS256")),
    ),
    (
        "unsigned_alg_none",
        bearer(
            jwt.encode(
                {"sub": "carl", "role": "clerk", "aud": AUDIENCE, "exp": 4102444800},
                key=None,
                algorithm="none",
            )
        ),
    ),
]


@pytest.mark.parametrize(("case", "headers"), INVALID_TOKENS, ids=[c for c, _ in INVALID_TOKENS])
async def test_a_request_without_a_valid_token_is_401_with_a_bearer_challenge(
    case: str, headers: dict[str, str]
) -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.get(CLERK_ROUTE, headers=headers)
    assert response.status_code == 401, case
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + "unauthorized"
    assert gateway.identity.requests == []


async def test_a_token_expired_within_the_leeway_is_still_accepted() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        token = make_token("clerk", "carl", expires_in=-5)
        response = await client.get(CLERK_ROUTE, headers=bearer(token))
    assert response.status_code == 200


async def test_a_token_expires_by_the_injected_clock() -> None:
    gateway = unit_gateway()
    token = make_token("clerk", "carl", expires_in=600)
    async with gateway.client() as client:
        assert (await client.get(CLERK_ROUTE, headers=bearer(token))).status_code == 200
        gateway.clock.advance(timedelta(hours=1))
        assert (await client.get(CLERK_ROUTE, headers=bearer(token))).status_code == 401


ROLE_TABLE: list[tuple[str, str, str, dict[str, Any] | None, int]] = [
    ("GET", CLERK_ROUTE, "clerk", None, 200),
    ("GET", CLERK_ROUTE, "applicant", None, 403),
    ("GET", CLERK_ROUTE, "officer", None, 403),
    ("GET", CLERK_ROUTE, "employer", None, 403),
    ("PUT", CLERK_ROUTE, "operator", {"name": "X", "licence_valid_until": "2030-01-01"}, 403),
    ("POST", "/v1/applications", "clerk", {}, 403),
    ("POST", "/v1/applications", "officer", {}, 403),
    ("POST", "/v1/applications/x/reviews", "applicant", {}, 403),
    ("POST", "/v1/applications/x/withdrawal", "officer", None, 403),
    ("POST", "/v1/work-permits/WP1/extensions", "clerk", {}, 403),
]


@pytest.mark.parametrize(("method", "path", "role", "body", "status"), ROLE_TABLE)
async def test_each_route_admits_only_its_roles(
    method: str, path: str, role: str, body: dict[str, Any] | None, status: int
) -> None:
    gateway = unit_gateway()
    token = make_token(role, "someone", uscc=USCC if role == "employer" else None)
    async with gateway.client() as client:
        response = await client.request(method, path, json=body, headers=bearer(token))
    assert response.status_code == status
    if status == 403:
        assert response.json()["type"] == PROBLEMS + "forbidden"
        assert gateway.nothing_stored_or_sent()


async def test_the_actor_reaching_identity_is_the_one_in_the_token() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        await client.get(CLERK_ROUTE, headers=bearer(make_token("clerk", "carl")))
    (request,) = gateway.identity.requests
    acting_for = service_credential(request, "identity").acting_for
    assert acting_for is not None
    assert (acting_for.sub, acting_for.role) == ("carl", "clerk")


def test_the_gateway_defaults_to_the_published_development_key() -> None:
    # `onewindow token` pins the same literal in its own tests.
    published = "onewindow-development-key-not-for-production"
    assert published == DEVELOPMENT_JWT_SECRET
    fields = GatewaySettings.model_fields
    assert fields["jwt_secret"].default == DEVELOPMENT_JWT_SECRET
    assert fields["jwt_audience"].default == "onewindow"


@pytest.mark.parametrize(
    ("issuer", "status"), [("https://sso.example", 200), ("https://evil.example", 401), (None, 401)]
)
async def test_a_configured_issuer_must_be_the_tokens(issuer: str | None, status: int) -> None:
    gateway = unit_gateway(jwt_issuer="https://sso.example")
    extra: dict[str, Any] = {"iss": issuer} if issuer else {}
    async with gateway.client() as client:
        response = await client.get(CLERK_ROUTE, headers=bearer(make_token("clerk", "c", **extra)))
    assert response.status_code == status
