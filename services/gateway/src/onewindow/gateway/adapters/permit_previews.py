"""The permit services' assessment previews (`onewindow.permits.preview`), behind the
pre-check: each service answers an assessment command with the event it would publish
now, by its own rules and policy, storing nothing. Every call carries the gateway's
service credential for the service asked. When a service does not answer (down, timing
out, failing, refusing the credential) the caller gets a 503 problem.
"""

from __future__ import annotations

import logging

import httpx

from onewindow.contracts.catalog import MESSAGES
from onewindow.contracts.message import Command, Message
from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.gateway.domain.errors import UpstreamUnavailable
from onewindow.runtime.service_tokens import ServiceCredentials

log = logging.getLogger(__name__)

# The kernel's route (`onewindow.permits.preview.PREVIEW_PATH`; the gateway imports no
# service, and the kernel's web routes are the services' business).
PREVIEW_PATH = "/internal/assessments/preview"


class AssessmentPreviews:
    """Asks the work-permit and residence-permit services what they would decide now."""

    def __init__(
        self,
        work: httpx.AsyncClient,
        residence: httpx.AsyncClient,
        credentials: ServiceCredentials,
    ) -> None:
        self.work_client, self.residence_client = work, residence
        self.credentials = credentials

    async def work(self, command: AssessWorkPermit) -> Message:
        """`WorkPermitReserved`, `WorkPermitRefused` or `WorkPermitReviewRequired`."""
        return await self._ask(self.work_client, "work-permit", command)

    async def residence(self, command: AssessResidencePermit) -> Message:
        """`ResidencePermitReserved`, `…Refused` or `…ReviewRequired`."""
        return await self._ask(self.residence_client, "residence-permit", command)

    async def close(self) -> None:
        await self.work_client.aclose()
        await self.residence_client.aclose()

    async def _ask(self, client: httpx.AsyncClient, service: str, command: Command) -> Message:
        """`service` is the service's name, the audience of its credential."""
        try:
            response = await client.post(
                PREVIEW_PATH,
                json=command.model_dump(mode="json"),
                headers=self.credentials.headers(service),
            )
        except httpx.HTTPError as exc:
            log.warning("%s unreachable", service, extra={"error": repr(exc)})
            raise UpstreamUnavailable(f"The {service} service is not reachable.") from exc
        if response.status_code != 200:
            log.warning("%s preview failed", service, extra={"status": response.status_code})
            raise UpstreamUnavailable(
                f"The {service} service answered {response.status_code} to a pre-check."
            )
        try:
            answer = response.json()
            return MESSAGES[answer["type"]].model_validate(answer["event"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UpstreamUnavailable(
                f"The {service} service answered something unexpected."
            ) from exc
