"""Forged roles are refused (issue 14): the published development key never opens a
production gateway, and tokens of a real identity provider are verified against its
published keys (JWKS: RS256 and ES256, by `kid`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from onewindow.gateway.adapters.tokens import InsecureConfiguration
from onewindow.gateway.settings import DEVELOPMENT_JWT_SECRET

from .support import AUDIENCE, NOW, make_token, unit_gateway

ISSUER = "https://id.onewindow.example"
OWN_SECRET = "a-secret-of-our-own-0123456789abcdef"  # noqa: S105 - a test key
SHORT_SECRET = "short"  # noqa: S105 - a test key


def test_a_production_gateway_refuses_to_start_with_the_development_key() -> None:
    with pytest.raises(InsecureConfiguration, match="development signing key is public"):
        unit_gateway(environment="production", jwt_secret=DEVELOPMENT_JWT_SECRET, jwt_issuer=ISSUER)


def test_a_production_gateway_refuses_to_start_without_an_issuer() -> None:
    with pytest.raises(InsecureConfiguration, match="GATEWAY_JWT_ISSUER"):
        unit_gateway(environment="production", jwt_secret=OWN_SECRET)


async def test_an_officer_token_minted_with_the_development_key_is_refused_in_production() -> None:
    gateway = unit_gateway(
        environment="production",
        jwt_secret=OWN_SECRET,
        jwt_issuer=ISSUER,
    )
    forged = make_token("officer", "mallory", secret=DEVELOPMENT_JWT_SECRET, iss=ISSUER)
    async with gateway.client() as client:
        answer = await client.get("/v1/reviews", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert "signature" in answer.json()["detail"]


def provider_keys(tmp_path: Path) -> tuple[Any, Any, Path]:
    """An identity provider's RSA and EC keys, and its JWKS file (public halves)."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, key, alg in (("rsa-1", rsa_key, "RS256"), ("ec-1", ec_key, "ES256")):
        algorithm = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
        public = json.loads(algorithm.to_jwk(key.public_key()))
        keys.append({**public, "kid": kid, "alg": alg, "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return rsa_key, ec_key, path


def provider_token(key: Any, kid: str, alg: str, **claims: Any) -> str:
    body = {
        "sub": "anna",
        "role": "applicant",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "exp": int(NOW.timestamp()) + 3600,
        **claims,
    }
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


@pytest.mark.parametrize(("kid", "alg"), [("rsa-1", "RS256"), ("ec-1", "ES256")])
async def test_a_provider_token_verifies_against_the_providers_published_keys(
    tmp_path: Path, kid: str, alg: str
) -> None:
    rsa_key, ec_key, jwks = provider_keys(tmp_path)
    gateway = unit_gateway(
        environment="production", jwt_secret="", jwt_issuer=ISSUER, jwt_jwks=str(jwks)
    )
    key = rsa_key if alg == "RS256" else ec_key
    officer = provider_token(key, kid, alg, role="officer", sub="olga")
    async with gateway.client() as client:
        answer = await client.get("/v1/reviews", headers={"Authorization": f"Bearer {officer}"})
    assert answer.status_code != 401, answer.text


async def test_tokens_the_provider_did_not_sign_are_refused(tmp_path: Path) -> None:
    rsa_key, _, jwks = provider_keys(tmp_path)
    gateway = unit_gateway(
        environment="production", jwt_secret="", jwt_issuer=ISSUER, jwt_jwks=str(jwks)
    )
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {
        "unknown kid": provider_token(rsa_key, "rsa-9", "RS256", role="officer"),
        "another key, known kid": provider_token(stranger, "rsa-1", "RS256", role="officer"),
        "the development key": make_token("officer", secret=DEVELOPMENT_JWT_SECRET, iss=ISSUER),
        "alg none": jwt.encode({"sub": "x", "role": "officer"}, None, algorithm="none"),
        "another issuer": provider_token(rsa_key, "rsa-1", "RS256", iss="https://evil.example"),
    }
    async with gateway.client() as client:
        for what, token in forged.items():
            answer = await client.get("/v1/reviews", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, what


def test_a_production_gateway_refuses_a_short_secret() -> None:
    with pytest.raises(InsecureConfiguration, match="shorter than 32 bytes"):
        unit_gateway(environment="production", jwt_secret=SHORT_SECRET, jwt_issuer=ISSUER)
