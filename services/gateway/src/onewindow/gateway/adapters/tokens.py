"""Bearer tokens: JWTs verified with PyJWT (API.md "Auth").

A token is valid when its signature holds — RS256 or ES256 against a key of the
identity provider's JWKS (by `kid`), or HS256 with the configured secret — its
audience is ours, it has not expired (by the injected clock, with a little
leeway), its issuer is ours when one is configured, and its claims name a
known role (`uscc` too, for an employer). An applicant's token may carry the
passport its account was verified for (`passport`, `NAT:NUMBER`); other roles'
`passport` claims mean nothing and are not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import jwt

from onewindow.contracts.v1.applications import Actor, Role
from onewindow.gateway.domain.binding import parse_passport_claim
from onewindow.runtime.clock import Clock
from onewindow.runtime.validation import InvalidInput, validate_uscc

SHARED_SECRET_ALGORITHMS = ("HS256",)
# The identity provider's (OIDC) algorithms, verified against its published keys.
PUBLIC_KEY_ALGORITHMS = ("RS256", "ES256")
ROLES: frozenset[str] = frozenset(get_args(Role))
MAX_SUBJECT_LENGTH = 200


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired, or for someone else."""


@dataclass(frozen=True)
class TokenVerifier:
    """Turns a bearer token into the `Actor` it names, or raises `InvalidToken`."""

    secret: str
    audience: str
    clock: Clock
    issuer: str = ""
    leeway_s: float = 30.0
    # The identity provider's public keys (a JWKS); None: shared-secret tokens only.
    keys: jwt.PyJWKSet | None = None

    def _key(self, token: str) -> tuple[Any, list[str]]:
        """The key and algorithms a token is verified with, by its header."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("the token is not a valid JWT") from None
        algorithm = header.get("alg")
        if algorithm in PUBLIC_KEY_ALGORITHMS and self.keys is not None:
            kid = header.get("kid")
            for key in self.keys.keys:
                if key.key_id == kid:
                    return key.key, [str(algorithm)]
            raise InvalidToken("the token's key (kid) is not one of the provider's")
        if algorithm in SHARED_SECRET_ALGORITHMS and self.secret:
            return self.secret, list(SHARED_SECRET_ALGORITHMS)
        raise InvalidToken(f"tokens signed with {algorithm!r} are not accepted here")

    def verify(self, token: str) -> Actor:
        """The token's actor; `InvalidToken` says why not (safe to show the caller)."""
        key, algorithms = self._key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer or None,
                # Expiry and not-before are checked below against the injected clock.
                options={
                    "require": ["exp", "sub", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not verify") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("the token is not a valid JWT") from None
        self._check_times(claims)
        return self._actor(claims)

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self.clock.now().timestamp()
        expires, not_before = claims.get("exp"), claims.get("nbf")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise InvalidToken("the token's exp is not a number")
        if now > expires + self.leeway_s:
            raise InvalidToken("the token has expired")
        if not_before is not None:
            if not isinstance(not_before, int | float) or isinstance(not_before, bool):
                raise InvalidToken("the token's nbf is not a number")
            if now + self.leeway_s < not_before:
                raise InvalidToken("the token is not valid yet")

    @staticmethod
    def _actor(claims: dict[str, Any]) -> Actor:
        sub, role, uscc = claims.get("sub"), claims.get("role"), claims.get("uscc")
        if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUBJECT_LENGTH:
            raise InvalidToken("the token's sub is not a name")
        if role not in ROLES:
            raise InvalidToken(f"the token's role must be one of {', '.join(sorted(ROLES))}")
        if role == "employer":
            if not isinstance(uscc, str):
                raise InvalidToken("an employer's token must carry its company's uscc")
            try:
                return Actor(sub=sub, role="employer", uscc=validate_uscc(uscc))
            except InvalidInput:
                raise InvalidToken("the token's uscc is not a valid USCC") from None
        if role == "applicant":
            return Actor(sub=sub, role="applicant", passport=_verified_passport(claims))
        return Actor(sub=sub, role=role)


def load_keys(source: str) -> jwt.PyJWKSet:
    """The JWKS at `source`: a file path, or an http(s) URL (read once, at start)."""
    if source.startswith(("http://", "https://")):
        return jwt.PyJWKClient(source).get_jwk_set()
    with open(source, encoding="utf-8") as handle:
        return jwt.PyJWKSet.from_json(handle.read())


# RFC 7518 §3.2: an HS256 key at least as long as the hash (256 bits).
MIN_SECRET_BYTES = 32


class InsecureConfiguration(RuntimeError):
    """The gateway would accept tokens anyone can mint: it refuses to start."""


def check_token_settings(
    *, environment: str, secret: str, issuer: str, keys: bool, development_secret: str
) -> None:
    """Outside development, refuse the published development key and a missing issuer,
    and insist on some way to verify tokens (a JWKS, or a secret of the deployment's own)."""
    if environment == "development":
        return
    problems = []
    if secret == development_secret:
        problems.append(
            "the development signing key is public: set GATEWAY_JWT_SECRET to a secret of "
            "your own, or empty it and verify the identity provider's tokens "
            "(GATEWAY_JWT_JWKS)"
        )
    elif secret and len(secret.encode()) < MIN_SECRET_BYTES:
        problems.append(f"GATEWAY_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
    if not issuer:
        problems.append("set GATEWAY_JWT_ISSUER: tokens must name their issuer")
    if not secret and not keys:
        problems.append("no way to verify tokens: set GATEWAY_JWT_JWKS (or a secret)")
    if problems:
        raise InsecureConfiguration(
            f"refusing to start in {environment!r} (ONEWINDOW_ENV): " + "; ".join(problems)
        )


def _verified_passport(claims: dict[str, Any]) -> str | None:
    """An applicant's `passport` claim (`NAT:NUMBER`, from real-name verification), if any."""
    passport = claims.get("passport")
    if passport is None:
        return None
    if not isinstance(passport, str):
        raise InvalidToken("the token's passport is not NAT:NUMBER")
    try:
        return parse_passport_claim(passport)
    except InvalidInput:
        raise InvalidToken("the token's passport is not NAT:NUMBER") from None
