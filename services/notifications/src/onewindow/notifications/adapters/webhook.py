"""Employer webhooks: one JSON POST per notice, with the delivery id as idempotency key.

The receiver may see a notice twice after a crash between its answer and our
record of it; the `Idempotency-Key` header (the delivery's deterministic id, also
the body's `id`) lets it drop the repeat.
"""

from __future__ import annotations

from typing import Any

import httpx

from onewindow.notifications.domain.delivery import redact, webhook_failure


class WebhookPoster:
    """POSTs JSON to employers' URLs; failures come out as `DeliveryFailure`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        # Redirects are not followed: a moved endpoint is the employer's to fix.
        self._client = client

    async def post(self, url: str, payload: dict[str, Any], *, delivery_id: str) -> None:
        """Deliver `payload` to `url`; a 2xx answer is success, anything else raises."""
        try:
            answer = await self._client.post(
                url,
                json=payload,
                headers={"Idempotency-Key": delivery_id, "User-Agent": "onewindow-notifications"},
            )
        except httpx.HTTPError as away:
            raise webhook_failure(
                None, f"{type(away).__name__}: {redact(str(away))[:200]}"
            ) from None
        if not answer.is_success:
            raise webhook_failure(answer.status_code, f"HTTP {answer.status_code}")


def make_client(timeout_s: float) -> httpx.AsyncClient:
    """The HTTP client for webhooks: certificates verified, no redirects, bounded time."""
    return httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, verify=True)
