"""`onewindow token` prints a development token the gateway accepts (API.md "Auth")."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner

from onewindow.cli.main import app
from onewindow.cli.token import DEVELOPMENT_JWT_SECRET, parse_ttl

USCC = "91310104MA1FL5KX1N"
runner = CliRunner()


def decode(
    token: str, secret: str = DEVELOPMENT_JWT_SECRET, audience: str = "onewindow"
) -> dict[str, Any]:
    return jwt.decode(token, secret, algorithms=["HS256"], audience=audience)


# The developer's own settings must not leak into the defaults under test.
UNSET: dict[str, str | None] = dict.fromkeys(
    ("GATEWAY_JWT_SECRET", "GATEWAY_JWT_AUDIENCE", "GATEWAY_JWT_ISSUER")
)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["token", *args], env={**UNSET, **(env or {})})
    return result.exit_code, result.output


def test_the_development_key_is_the_one_the_gateway_defaults_to() -> None:
    # The gateway's tests pin the same literal (`onewindow.gateway.settings`).
    published = "onewindow-development-key-not-for-production"
    assert published == DEVELOPMENT_JWT_SECRET


def test_a_token_names_the_role_and_subject_and_lasts_eight_hours_by_default() -> None:
    code, output = run("--role", "applicant", "--sub", "anna")
    assert code == 0, output
    claims = decode(output.strip())
    assert (claims["sub"], claims["role"], claims["aud"]) == ("anna", "applicant", "onewindow")
    assert claims["exp"] - claims["iat"] == 8 * 3600
    assert abs(claims["iat"] - time.time()) < 60
    assert "uscc" not in claims


def test_an_employer_token_carries_its_uscc() -> None:
    code, output = run("--role", "employer", "--sub", "hr", "--uscc", USCC.lower(), "--ttl", "30m")
    assert code == 0, output
    claims = decode(output.strip())
    assert claims["uscc"] == USCC
    assert claims["exp"] - claims["iat"] == 1800


def test_a_verified_applicants_token_carries_its_passport() -> None:
    code, output = run("--role", "applicant", "--sub", "anna", "--passport", "nld:nx4k2p7r1")
    assert code == 0, output
    assert decode(output.strip())["passport"] == "NLD:NX4K2P7R1"


def test_an_applicant_token_without_passport_carries_none() -> None:
    code, output = run("--role", "applicant", "--sub", "anna")
    assert code == 0, output
    assert "passport" not in decode(output.strip())


def test_the_configured_key_and_audience_are_used() -> None:
    env = {
        "GATEWAY_JWT_SECRET": "a-deployment-secret-of-enough-length",
        "GATEWAY_JWT_AUDIENCE": "ow",
    }
    code, output = run("--role", "clerk", "--sub", "carl", env=env)
    assert code == 0, output
    claims = decode(output.strip(), secret=env["GATEWAY_JWT_SECRET"], audience="ow")
    assert claims["role"] == "clerk"
    with pytest.raises(jwt.InvalidSignatureError):
        decode(output.strip(), audience="ow")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--role", "president", "--sub", "x"], "--role"),
        (["--role", "employer", "--sub", "hr"], "--uscc"),
        (["--role", "employer", "--sub", "hr", "--uscc", USCC[:-1] + "A"], "--uscc"),
        (["--role", "applicant", "--sub", "anna", "--ttl", "forever"], "forever"),
        (["--role", "applicant", "--sub", "  "], "--sub"),
        (["--role", "applicant", "--sub", "anna", "--passport", "NX4K2P7R1"], "--passport"),
        (["--role", "applicant", "--sub", "anna", "--passport", "XXX:NX4K2P7R1"], "--passport"),
        (
            ["--role", "employer", "--sub", "hr", "--uscc", USCC, "--passport", "NLD:NX4K2P7R1"],
            "--passport",
        ),
    ],
)
def test_a_token_that_the_gateway_would_refuse_is_not_printed(
    args: list[str], complaint: str
) -> None:
    code, output = run(*args)
    assert code == 2
    assert complaint in output
    assert "eyJ" not in output


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("8h", 28800), ("2d", 172800)]
)
def test_lifetimes_are_read_in_their_units(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds
