"""The dependencies every route shares: who is calling, and the gateway's parts.

`require_roles(*roles)` is the one door of authentication and authorisation:
401 (with `WWW-Authenticate: Bearer`) without a valid token, 403 for a role
that may not act. The parts built by `bootstrap` live on `app.state` and are
reached through the small functions below, so a new router (the read model's,
for instance) needs nothing but this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, cast

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from onewindow.contracts.v1.applications import Actor, Role
from onewindow.gateway.adapters.identity import IdentityRegistry
from onewindow.gateway.adapters.tokens import InvalidToken, TokenVerifier
from onewindow.gateway.application.gateway import Gateway
from onewindow.runtime.problems import ProblemError

REALM = "onewindow"

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="A JWT with `sub`, `role` and (for employers) `uscc`; "
    "`onewindow token` prints one for development.",
)


def _unauthorized(detail: str, error: str | None = None) -> ProblemError:
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    return ProblemError(401, "unauthorized", detail, headers={"WWW-Authenticate": challenge})


def _state(request: Request, name: str) -> Any:
    return getattr(request.app.state, name)


def tokens(request: Request) -> TokenVerifier:
    """The verifier of bearer tokens."""
    return cast(TokenVerifier, _state(request, "tokens"))


def gateway(request: Request) -> Gateway:
    """The gateway's use cases (commands onto the bus)."""
    return cast(Gateway, _state(request, "gateway"))


def identity_registry(request: Request) -> IdentityRegistry:
    """The identity service's registry, behind the clerks' routes."""
    return cast(IdentityRegistry, _state(request, "identity_registry"))


async def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    verifier: Annotated[TokenVerifier, Depends(tokens)],
) -> Actor:
    """The caller named by a valid bearer token, whatever the role."""
    if credentials is None:
        raise _unauthorized("A bearer token is required (Authorization: Bearer <JWT>).")
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise _unauthorized(f"The bearer token is not valid: {exc}.", "invalid_token") from None


def require_roles(*roles: Role) -> Callable[..., Awaitable[Actor]]:
    """A dependency answering the caller if their role is one of `roles`, else 401/403."""
    allowed = frozenset(roles)

    async def caller(actor: Annotated[Actor, Depends(authenticated)]) -> Actor:
        if actor.role not in allowed:
            raise ProblemError(
                403,
                "forbidden",
                f"The role {actor.role!r} may not do this; allowed: {', '.join(sorted(allowed))}.",
            )
        return actor

    return caller


def _parse_key(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ProblemError(
            400, "idempotency-key-invalid", f"Idempotency-Key {value[:64]!r} is not a UUID."
        ) from None


IDEMPOTENCY_KEY_DOC = "A UUID chosen by the client; a retry with the same key is answered once."


async def idempotency_key(
    key: Annotated[
        str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_KEY_DOC)
    ] = None,
) -> str:
    """The required `Idempotency-Key` (400 when missing or not a UUID), normalised."""
    if key is None or not key.strip():
        raise ProblemError(
            400, "idempotency-key-missing", "This request requires an Idempotency-Key header."
        )
    return _parse_key(key.strip())


async def optional_idempotency_key(
    key: Annotated[
        str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_KEY_DOC)
    ] = None,
) -> str | None:
    """An `Idempotency-Key` if the client sent one (400 when it is not a UUID)."""
    if key is None or not key.strip():
        return None
    return _parse_key(key.strip())
