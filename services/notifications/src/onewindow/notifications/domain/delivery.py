"""Delivery rules: one delivery per (event, recipient, channel), and when to try again.

A delivery is identified by a UUID derived from its cause, so every replica, and
every redelivery of the same event, names the same delivery. Whether a failure is
worth another try is decided here from the channel's answer; the retry schedule
is data (`RetryPolicy`) read from settings.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

Channel = Literal["email", "webhook"]
DeliveryState = Literal["pending", "sent", "failed"]

# Fixed forever: changing it would give every past delivery a new id.
DELIVERY_NAMESPACE: Final = uuid.UUID("3f5d0c1e-8a4b-5b7e-9c2d-6e1f0a9b8c7d")


def delivery_id(event_id: str, recipient: str, channel: Channel) -> str:
    """The id of the one delivery of `event_id` to `recipient` over `channel`.

    Addresses are compared without case, as mail systems do in practice.
    """
    return str(uuid.uuid5(DELIVERY_NAMESPACE, f"{event_id}|{recipient.lower()}|{channel}"))


def mask_address(address: str) -> str:
    """An address fit for logs and operator views: `anna@example.org` → `a***@example.org`.

    A webhook URL keeps only its scheme and host.
    """
    if "://" in address:
        scheme, _, rest = address.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        return f"{scheme}://{host}/***"
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    """`text` with every e-mail address in it masked (servers quote addresses in errors)."""
    return _ADDRESS.sub(lambda found: mask_address(found.group(0)), text)


class DeliveryFailure(Exception):
    """A channel did not take the message. `permanent` failures are not retried."""

    def __init__(self, error: str, *, permanent: bool) -> None:
        super().__init__(error)
        self.error = error
        self.permanent = permanent


def smtp_failure(code: int | None, error: str) -> DeliveryFailure:
    """An SMTP answer as a failure: 5xx is permanent, 4xx and no answer at all are not."""
    return DeliveryFailure(error, permanent=code is not None and 500 <= code < 600)


# 408 Request Timeout, 425 Too Early, 429 Too Many Requests: the receiver asks for later.
_HTTP_TRY_LATER: Final = frozenset({408, 425, 429})


def webhook_failure(status: int | None, error: str) -> DeliveryFailure:
    """A webhook's answer as a failure: 5xx, 408/425/429 and no answer are temporary."""
    temporary = status is None or status >= 500 or status in _HTTP_TRY_LATER
    return DeliveryFailure(error, permanent=not temporary)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts, and when to give up."""

    first_delay: timedelta
    max_delay: timedelta
    max_attempts: int
    give_up_after: timedelta
    factor: float = 2.0

    def delay_after(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1-based), capped at `max_delay`."""
        grown = self.first_delay * self.factor ** max(attempts - 1, 0)
        return min(grown, self.max_delay)


@dataclass(frozen=True)
class TryAgain:
    at: datetime


@dataclass(frozen=True)
class GiveUp:
    why: str


def after_failure(
    failure: DeliveryFailure,
    *,
    attempts: int,
    created_at: datetime,
    now: datetime,
    policy: RetryPolicy,
) -> TryAgain | GiveUp:
    """What follows a failed attempt: another one after a backoff, or none.

    A permanent failure ends the delivery at once; a temporary one is retried until
    `max_attempts` attempts were made or the next one would fall after
    `give_up_after` from the delivery's creation.
    """
    if failure.permanent:
        return GiveUp(failure.error)
    if attempts >= policy.max_attempts:
        return GiveUp(f"{failure.error} (gave up after {attempts} attempts)")
    at = now + policy.delay_after(attempts)
    if at - created_at > policy.give_up_after:
        return GiveUp(f"{failure.error} (gave up after {now - created_at} of attempts)")
    return TryAgain(at)
