"""Service credentials: a credential minted for a service is accepted by it alone, for a
minute, and names the person its caller acts for; a deployment outside development
refuses to start with the published development secret."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI

from onewindow.runtime.service_tokens import (
    DEVELOPMENT_SERVICE_SECRET,
    LIFETIME_S,
    ActingFor,
    CredentialRefused,
    InsecureServiceSecret,
    InternalRoute,
    ServiceCredential,
    ServiceCredentials,
    ServiceCredentialSettings,
    ServiceCredentialVerifier,
    checked_service_secret,
    service_credential,
)

SECRET = "unit-test-service-secret-long-enough-for-hs256"  # noqa: S105 - a test key
GATEWAY = ServiceCredentials(SECRET, caller="gateway")
IDENTITY = ServiceCredentialVerifier(SECRET, audience="identity", callers=["gateway"])
CLERK = ActingFor(sub="carl", role="clerk")


def test_a_credential_names_its_caller_and_the_person_it_acts_for() -> None:
    assert IDENTITY.verify(GATEWAY.mint("identity", CLERK)) == ServiceCredential("gateway", CLERK)
    assert IDENTITY.verify(GATEWAY.mint("identity")) == ServiceCredential("gateway", None)


def test_a_credential_lives_a_minute() -> None:
    claims = jwt.decode(
        GATEWAY.mint("identity", CLERK), SECRET, algorithms=["HS256"], audience="identity"
    )
    assert claims["exp"] - claims["iat"] == LIFETIME_S == 60
    assert claims["act"] == {"sub": "carl", "role": "clerk"}
    assert claims["iss"] == "gateway"


def forged(**claims: object) -> str:
    """A credential signed with the secret, with `claims` changed (None: left out)."""
    now = int(time.time())
    base: dict[str, object] = {"iss": "gateway", "aud": "identity", "iat": now, "exp": now + 60}
    return jwt.encode({k: v for k, v in (base | claims).items() if v is not None}, SECRET)


# Minted when the test runs, so that each is refused for its own reason only.
REFUSED: dict[str, Callable[[], str]] = {
    "for another service": lambda: GATEWAY.mint("work-permit", CLERK),
    "signed with another secret": lambda: ServiceCredentials(
        "someone-elses-secret-of-at-least-32-bytes", caller="gateway"
    ).mint("identity", CLERK),
    "expired": lambda: ServiceCredentials(
        SECRET, caller="gateway", now=lambda: time.time() - 3600
    ).mint("identity", CLERK),
    "from a caller not served": lambda: ServiceCredentials(SECRET, caller="notifications").mint(
        "identity", CLERK
    ),
    "living longer than a minute": lambda: forged(exp=int(time.time()) + 3600),
    "without an expiry": lambda: forged(exp=None),
    "without a caller": lambda: forged(iss=None),
    "unsigned": lambda: jwt.encode({"iss": "gateway", "aud": "identity"}, "", algorithm="none"),
    "with an act that is not a person": lambda: forged(act={"sub": "carl"}),
    "not a token": lambda: "gateway",
}


@pytest.mark.parametrize("token", REFUSED.values(), ids=REFUSED.keys())
def test_a_credential_is_refused(token: Callable[[], str]) -> None:
    with pytest.raises(CredentialRefused):
        IDENTITY.verify(token())


CALLER = service_credential(IDENTITY)


def internal_app() -> FastAPI:
    router = APIRouter(route_class=InternalRoute)

    @router.get("/internal/who")
    async def who(
        credential: Annotated[ServiceCredential, Depends(CALLER)],
    ) -> dict[str, str | None]:
        acting = credential.acting_for
        return {"caller": credential.caller, "for": acting.sub if acting else None}

    app = FastAPI()
    app.include_router(router)
    return app


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, "Bearer"),
        ({"Authorization": "Bearer gateway"}, 'Bearer error="invalid_token"'),
        ({"Authorization": "Basic Z2F0ZXdheTpzZWNyZXQ="}, "Bearer"),
    ],
    ids=["none", "invalid", "not a bearer"],
)
async def test_an_internal_route_answers_a_refusal_with_a_401_problem(
    headers: dict[str, str], challenge: str
) -> None:
    transport = httpx.ASGITransport(app=internal_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
        answer = await client.get("/internal/who", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == challenge
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "https://onewindow.example/problems/unauthorized"
    assert (problem["status"], problem["instance"]) == (401, "/internal/who")


async def test_an_internal_route_hands_the_credential_to_its_handler() -> None:
    transport = httpx.ASGITransport(app=internal_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
        answer = await client.get("/internal/who", headers=GATEWAY.headers("identity", CLERK))
    assert answer.json() == {"caller": "gateway", "for": "carl"}


@pytest.mark.parametrize(
    ("secret", "refused"),
    [
        (DEVELOPMENT_SERVICE_SECRET, "the development service secret is public"),
        ("too-short", "shorter than 32 bytes"),
        ("", "shorter than 32 bytes"),
    ],
)
def test_production_mode_refuses_the_development_service_secret(secret: str, refused: str) -> None:
    settings = ServiceCredentialSettings(environment="production", service_secret=secret)
    with pytest.raises(InsecureServiceSecret, match=refused):
        checked_service_secret(settings)


def test_development_mode_accepts_the_development_service_secret() -> None:
    settings = ServiceCredentialSettings(environment="development")
    assert checked_service_secret(settings) == DEVELOPMENT_SERVICE_SECRET


def test_a_deployment_s_own_secret_is_used_in_production() -> None:
    settings = ServiceCredentialSettings(environment="production", service_secret=SECRET)
    assert checked_service_secret(settings) == SECRET


def test_the_settings_come_from_the_shared_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONEWINDOW_ENV", "staging")
    monkeypatch.setenv("ONEWINDOW_SERVICE_SECRET", SECRET)
    settings = ServiceCredentialSettings()
    assert settings.environment == "staging"
    assert settings.service_secret.get_secret_value() == SECRET
