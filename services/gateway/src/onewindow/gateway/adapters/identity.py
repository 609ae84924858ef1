"""The identity service's internal registry API, behind the clerks' routes and the
pre-check (which reads what the registry holds for an application).

The gateway has checked the caller (a clerk) and the input; identity answers
once the write is durable. Every call carries the gateway's service credential for
identity, naming the person the gateway acts for (`act`), whom identity records as the
clerk of a write. Identity's answer is passed on as it is; when identity does not answer
(down, timing out, failing) the caller gets a 503 problem.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import Employer
from onewindow.gateway.domain.errors import UpstreamUnavailable
from onewindow.gateway.domain.precheck import Certificate, RegistryFacts
from onewindow.runtime.service_tokens import ActingFor, ServiceCredentials

log = logging.getLogger(__name__)

INTERNAL_PREFIX = "/internal/registry"
# The audience of the service credentials for identity (its service name).
IDENTITY = "identity"


@dataclass(frozen=True)
class RegistryAnswer:
    """Identity's answer: status, JSON body, and its media type."""

    status: int
    body: Any
    media_type: str


class IdentityRegistry:
    """Reads and writes of the e-government registry, through identity's internal API."""

    def __init__(self, client: httpx.AsyncClient, credentials: ServiceCredentials) -> None:
        self.client = client
        self.credentials = credentials

    async def get(
        self, path: str, actor: Actor, params: dict[str, str] | None = None
    ) -> RegistryAnswer:
        """GET `/internal/registry/<path>` (with a query of `params`)."""
        return await self._call("GET", path, actor, None, params)

    async def put(self, path: str, actor: Actor, body: dict[str, Any]) -> RegistryAnswer:
        """PUT `/internal/registry/<path>` with a JSON body."""
        return await self._call("PUT", path, actor, body)

    async def close(self) -> None:
        await self.client.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        actor: Actor,
        body: dict[str, Any] | None,
        params: dict[str, str] | None = None,
    ) -> RegistryAnswer:
        url = f"{INTERNAL_PREFIX}/{path}"
        headers = self.credentials.headers(IDENTITY, ActingFor(sub=actor.sub, role=actor.role))
        for attempt in (1, 2):
            try:
                response = await self.client.request(
                    method, url, json=body, headers=headers, params=params
                )
                break
            except httpx.HTTPError as exc:
                # Every call here is a GET or an idempotent PUT, so a connection that
                # failed without an answer (one identity was closing as it was reused,
                # or a refused connect) is tried once more; a time-out is not: identity
                # is slow then, and a second call would only add to its load.
                again = attempt == 1 and not isinstance(exc, httpx.TimeoutException)
                log.warning(
                    "identity unreachable",
                    extra={"url": url, "error": repr(exc), "attempt": attempt, "retry": again},
                )
                if not again:
                    raise UpstreamUnavailable(
                        "The registry (identity service) is not reachable."
                    ) from exc
        if response.status_code >= 500:
            log.warning("identity failed", extra={"url": url, "status": response.status_code})
            raise UpstreamUnavailable(
                f"The registry (identity service) failed with {response.status_code}."
            )
        try:
            answer = response.json() if response.content else None
        except json.JSONDecodeError as exc:
            raise UpstreamUnavailable("The registry answered with something not JSON.") from exc
        media_type = response.headers.get("content-type", "application/json").split(";")[0]
        return RegistryAnswer(response.status_code, answer, media_type)


async def registry_facts(
    registry: IdentityRegistry, actor: Actor, nationality: str, passport_number: str, uscc: str
) -> RegistryFacts:
    """What the registry holds for an application (its employer, the applicant's
    certificates and watch-list entry), read at once; 503 when identity does not answer."""
    holder = {"nationality": nationality, "passport_number": passport_number}
    employer, held, watch = await asyncio.gather(
        registry.get(f"employers/{uscc}", actor),
        registry.get("certificates", actor, params=holder),
        registry.get(f"watchlist/{nationality}/{passport_number}", actor),
    )
    for answer in (employer, held, watch):
        if answer.status not in (200, 404):
            raise UpstreamUnavailable(f"The registry answered {answer.status} to a look-up.")
    try:
        return RegistryFacts(
            employer=Employer.model_validate(employer.body) if employer.status == 200 else None,
            held=tuple(_certificate(item) for item in (held.body or {}).get("items", [])),
            watchlisted=watch.status == 200,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UpstreamUnavailable("The registry answered something unexpected.") from exc


def _certificate(item: dict[str, Any]) -> Certificate:
    valid_until = item.get("valid_until")
    return Certificate(
        registry_id=str(item["id"]),
        kind=str(item["kind"]),
        issued_on=date.fromisoformat(item["issued_on"]),
        valid_until=date.fromisoformat(valid_until) if valid_until else None,
        issuer=item.get("issuer"),
        details=dict(item.get("details") or {}),
    )
