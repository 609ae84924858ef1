"""`onewindow token`: a development bearer token for the gateway (API.md "Auth").

The token is an HS256 JWT signed with the gateway's key: `GATEWAY_JWT_SECRET`
if set, else the published development key that the gateway also defaults to
(see `onewindow.ops.tokens`). Audience and issuer follow the gateway's
`GATEWAY_JWT_AUDIENCE` and `GATEWAY_JWT_ISSUER` in the same way.
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

import jwt
import typer

# The gateway's own defaults and rules, so a local token works without configuration.
from onewindow.ops.tokens import DEFAULT_AUDIENCE, DEVELOPMENT_JWT_SECRET, parse_passport_claim
from onewindow.runtime.validation import InvalidInput, validate_uscc

__all__ = ["DEFAULT_AUDIENCE", "DEVELOPMENT_JWT_SECRET", "make_token", "parse_ttl", "token"]
ROLES = ("applicant", "employer", "officer", "operator", "clerk")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TTL = re.compile(r"(\d+)([smhd]?)")


def parse_ttl(text: str) -> int:
    """Seconds in a lifetime written `90`, `90s`, `30m`, `8h` or `2d` (more than 0)."""
    match = _TTL.fullmatch(text.strip().lower())
    if match is None or int(match[1]) == 0:
        raise typer.BadParameter(f"{text!r} is not a lifetime like 30m, 8h or 2d")
    return int(match[1]) * UNIT_SECONDS[match[2] or "s"]


def make_token(
    *,
    role: str,
    sub: str,
    uscc: str | None,
    ttl_s: int,
    secret: str,
    audience: str,
    issuer: str = "",
    now: float | None = None,
    passport: str | None = None,
) -> str:
    """A signed token with `sub`, `role`, `aud`, `iat`, `exp` (and `uscc`, `iss` and an
    applicant's verified `passport`, `NAT:NUMBER`, when given)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    if uscc:
        claims["uscc"] = uscc
    if issuer:
        claims["iss"] = issuer
    if passport:
        claims["passport"] = passport
    return jwt.encode(claims, secret, algorithm="HS256")


def token(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    sub: Annotated[str, typer.Option(help="The user the token names.")],
    uscc: Annotated[
        str | None, typer.Option(help="The employer's USCC (required for --role employer).")
    ] = None,
    passport: Annotated[
        str | None,
        typer.Option(
            help="NAT:NUMBER: the passport an applicant's account is verified for "
            "(as the identity provider sets it after real-name verification)."
        ),
    ] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime: 90s, 30m, 8h, 2d.")] = "8h",
    secret: Annotated[
        str, typer.Option(envvar="GATEWAY_JWT_SECRET", hidden=True, show_default=False)
    ] = DEVELOPMENT_JWT_SECRET,
    audience: Annotated[
        str, typer.Option(envvar="GATEWAY_JWT_AUDIENCE", help="The gateway's audience.")
    ] = DEFAULT_AUDIENCE,
    issuer: Annotated[
        str, typer.Option(envvar="GATEWAY_JWT_ISSUER", help="Issuer, if the gateway wants one.")
    ] = "",
) -> None:
    """Print a development token signed with the configured key (GATEWAY_JWT_SECRET)."""
    if role not in ROLES:
        raise typer.BadParameter(f"must be one of {', '.join(ROLES)}", param_hint="--role")
    if not sub.strip():
        raise typer.BadParameter("must not be empty", param_hint="--sub")
    if role == "employer" and not uscc:
        raise typer.BadParameter("an employer's token needs its USCC", param_hint="--uscc")
    if uscc:
        try:
            uscc = validate_uscc(uscc)
        except InvalidInput as error:
            raise typer.BadParameter(error.message, param_hint="--uscc") from None
    if passport is not None:
        if role != "applicant":
            raise typer.BadParameter(
                "only an applicant's account is verified for a passport", param_hint="--passport"
            )
        try:
            passport = parse_passport_claim(passport)
        except InvalidInput as error:
            raise typer.BadParameter(error.message, param_hint="--passport") from None
    typer.echo(
        make_token(
            role=role,
            sub=sub.strip(),
            uscc=uscc,
            ttl_s=parse_ttl(ttl),
            secret=secret,
            audience=audience,
            issuer=issuer,
            passport=passport,
        )
    )
