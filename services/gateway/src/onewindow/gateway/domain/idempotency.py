"""Idempotency keys (API.md "Conventions"): the same key, the same answer.

A key is scoped to its caller (`sub`). The first request with a key claims it;
a repeat with the same request gets the first answer again, a repeat with a
different request is refused, and a repeat while the first is still running is
told to wait. A claim whose holder crashed is taken over once its lease ends.
Everything the first request derives (the case id, the command's envelope id,
its timestamp) comes from the claim, so a take-over re-sends the same command.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from onewindow.contracts.envelope import deterministic_id
from onewindow.gateway.domain.errors import IdempotencyKeyReused, RequestInProgress

# The namespace of every id derived here (uuid5); fixed forever, or ids change.
NAMESPACE = uuid.UUID("6f1c1e2a-5d0b-4b8e-9a53-0e6f9b1f3c27")

State = Literal["processing", "done"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(route: str, body: Any) -> str:
    """SHA-256 of the route and the canonical JSON of the (validated) body."""
    text = canonical_json({"route": route, "body": body})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def claim_id(caller: str, key: str) -> str:
    """The id of a caller's key: one record per (caller, key)."""
    return str(uuid.uuid5(NAMESPACE, f"idempotency\n{caller}\n{key}"))


def to_millis(moment: datetime) -> datetime:
    """`moment` cut to whole milliseconds, as BSON stores it (so it compares equal)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Origin:
    """Where a write's ids and time come from: a claim (repeatable) or a fresh root."""

    root: str
    at: datetime

    def derived(self, purpose: str) -> str:
        """The id for one purpose (`application`, a message type, …): the same on a retry."""
        return deterministic_id(self.root, purpose)


@dataclass(frozen=True)
class StoredResponse:
    """The answer given to the first request, given again to every repeat."""

    status: int
    body: dict[str, Any]
    location: str | None = None


@dataclass(frozen=True)
class Claim:
    """A caller's key and what the first request with it asked and got."""

    id: str
    caller: str
    key: str
    fingerprint: str
    claimed_at: datetime
    lease_until: datetime
    state: State = "processing"
    response: StoredResponse | None = None

    @property
    def origin(self) -> Origin:
        return Origin(self.id, self.claimed_at)


@dataclass(frozen=True)
class Replay:
    """Answer the repeat with the first response."""

    response: StoredResponse


@dataclass(frozen=True)
class TakeOver:
    """The first holder's lease ended without an answer: carry on in its place."""

    claim: Claim
    new_lease_until: datetime


def on_repeat(
    existing: Claim, fingerprint: str, now: datetime, lease: timedelta
) -> Replay | TakeOver:
    """What a request with an already-claimed key gets.

    Raises `IdempotencyKeyReused` for a different request and `RequestInProgress`
    while the first holder's lease lasts.
    """
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if existing.state == "done" and existing.response is not None:
        return Replay(existing.response)
    if now < existing.lease_until:
        raise RequestInProgress()
    return TakeOver(existing, now + lease)
