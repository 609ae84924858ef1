"""Service credentials: how a service proves to another's internal HTTP API that it is a
service of this deployment, and names the person it acts for.

The caller signs a short-lived JWT (HS256) with the secret the deployment's services share
(`ONEWINDOW_SERVICE_SECRET`): `iss` names the caller, `aud` the service called, `exp` ends
it `LIFETIME_S` after `iat`, and `act` (RFC 8693 §4.1, here `{"sub", "role"}`) names the
person on whose behalf it calls, when there is one. The service called checks every
request with the dependency `service_credential(...)` on routes of the class
`InternalRoute`: a request without a valid credential for it (none, expired, for another
service, from a caller it does not serve, signed with another secret) is answered 401, an
RFC 9457 problem with `WWW-Authenticate: Bearer`, before any handler runs.

The published development secret works only with `ONEWINDOW_ENV=development`; anywhere
else a service refuses to start with it, or with a secret shorter than 32 bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, SecretStr

from onewindow.runtime.problems import make_problem, problem_response
from onewindow.runtime.settings import ServiceSettings

DEVELOPMENT = "development"
# Public (it is written here), so a development stack needs no configuration; any other
# ONEWINDOW_ENV refuses it. S105 (hard-coded password) does not apply for that reason.
DEVELOPMENT_SERVICE_SECRET = "onewindow-development-service-secret-not-for-production"  # noqa: S105
# RFC 7518 §3.2: an HS256 key at least as long as the hash (256 bits).
MIN_SECRET_BYTES = 32
ALGORITHM = "HS256"
# Long enough for one call, short enough that a credential copied from a log or a
# capture is soon useless; a credential that claims to live longer is refused.
LIFETIME_S = 60
# Clock difference tolerated between the caller's machine and the called one's.
LEEWAY_S = 10


class ServiceCredentialSettings(ServiceSettings):
    """Settings of a service that calls another's internal API or serves one."""

    # `development` (what `make run` and the tests set) accepts the published development
    # secrets; anything else refuses to start with them.
    environment: str = Field(default="production", validation_alias="ONEWINDOW_ENV")
    # The key the deployment's services sign and check service credentials with.
    service_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SERVICE_SECRET), validation_alias="ONEWINDOW_SERVICE_SECRET"
    )


class InsecureServiceSecret(RuntimeError):
    """Anyone could mint this deployment's service credentials: the service refuses to start."""


def checked_service_secret(settings: ServiceCredentialSettings) -> str:
    """The deployment's service secret.

    Outside development, raises `InsecureServiceSecret` for the published development
    secret or a secret shorter than 32 bytes.
    """
    secret = settings.service_secret.get_secret_value()
    if settings.environment == DEVELOPMENT:
        return secret
    refusal = f"refusing to start in {settings.environment!r} (ONEWINDOW_ENV): "
    if secret == DEVELOPMENT_SERVICE_SECRET:
        raise InsecureServiceSecret(
            refusal + "the development service secret is public: set ONEWINDOW_SERVICE_SECRET "
            "to a secret of your own, the same in every service"
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise InsecureServiceSecret(
            refusal + f"ONEWINDOW_SERVICE_SECRET is shorter than {MIN_SECRET_BYTES} bytes"
        )
    return secret


@dataclass(frozen=True, slots=True)
class ActingFor:
    """The person a service calls on behalf of (the credential's `act`): account and role."""

    sub: str
    role: str


@dataclass(frozen=True, slots=True)
class ServiceCredential:
    """A verified credential: the calling service, and the person it acts for, if any."""

    caller: str
    acting_for: ActingFor | None


class ServiceCredentials:
    """Mints this service's credentials for the internal APIs it calls."""

    def __init__(self, secret: str, *, caller: str, now: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._caller = caller
        self._now = now

    def mint(self, audience: str, acting_for: ActingFor | None = None) -> str:
        """A credential for a call to `audience`, valid for `LIFETIME_S` from now."""
        issued = int(self._now())
        claims: dict[str, Any] = {
            "iss": self._caller,
            "aud": audience,
            "iat": issued,
            "exp": issued + LIFETIME_S,
        }
        if acting_for is not None:
            claims["act"] = {"sub": acting_for.sub, "role": acting_for.role}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def headers(self, audience: str, acting_for: ActingFor | None = None) -> dict[str, str]:
        """The `Authorization` header of a call to `audience`."""
        return {"Authorization": f"Bearer {self.mint(audience, acting_for)}"}


class CredentialRefused(Exception):
    """A request to an internal API without a valid service credential: answered 401."""

    def __init__(self, detail: str, *, presented: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        self.presented = presented

    def response(self, instance: str) -> JSONResponse:
        # RFC 6750 §3: a request with no credential gets the bare challenge.
        challenge = 'Bearer error="invalid_token"' if self.presented else "Bearer"
        problem = make_problem(401, "unauthorized", self.detail)
        return problem_response(
            problem.model_copy(update={"instance": instance}), {"WWW-Authenticate": challenge}
        )


class ServiceCredentialVerifier:
    """Checks the credentials presented to this service's internal API."""

    def __init__(self, secret: str, *, audience: str, callers: Iterable[str]) -> None:
        self._secret = secret
        self.audience = audience
        self._callers = frozenset(callers)

    def verify(self, token: str) -> ServiceCredential:
        """The credential `token` carries; `CredentialRefused` unless it is signed with the
        deployment's secret, for this service, by a caller it serves, and current."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self._callers,
                leeway=LEEWAY_S,
                options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise CredentialRefused("the service credential has expired") from None
        except jwt.InvalidAudienceError:
            raise CredentialRefused(
                f"the service credential is not for this service ({self.audience})"
            ) from None
        except jwt.InvalidIssuerError:
            raise CredentialRefused("the service credential names no caller served here") from None
        except jwt.InvalidTokenError:
            raise CredentialRefused("the service credential is not valid") from None
        if claims["exp"] - claims["iat"] > LIFETIME_S:
            raise CredentialRefused(f"a service credential lives {LIFETIME_S} s at most")
        return ServiceCredential(caller=claims["iss"], acting_for=_acting_for(claims.get("act")))


def _acting_for(act: object) -> ActingFor | None:
    if act is None:
        return None
    if isinstance(act, dict):
        sub, role = act.get("sub"), act.get("role")
        if isinstance(sub, str) and isinstance(role, str) and sub and role:
            return ActingFor(sub=sub, role=role)
    raise CredentialRefused("the service credential's act is not {sub, role}")


_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="ServiceCredential",
    description="A service credential (onewindow.runtime.service_tokens), never a user's token.",
)


def service_credential(
    verifier: ServiceCredentialVerifier,
) -> Callable[..., Coroutine[Any, Any, ServiceCredential]]:
    """A FastAPI dependency: the request's verified service credential. A refusal is
    answered 401 by routes of the class `InternalRoute`."""

    async def credential(
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> ServiceCredential:
        if bearer is None:
            raise CredentialRefused(
                "a service credential is required (Authorization: Bearer)", presented=False
            )
        return verifier.verify(bearer.credentials)

    return credential


class InternalRoute(APIRoute):
    """A route of an internal API: a refused service credential is answered as a 401
    problem with `WWW-Authenticate`, whichever app mounts the route."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except CredentialRefused as refused:
                return refused.response(request.url.path)

        return route
