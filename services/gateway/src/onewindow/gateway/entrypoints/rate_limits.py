"""429 with `Retry-After` at the door (API.md v1.1): submissions, uploads (and prechecks,
when they come) are paced per account and per client address; an account holds a
bounded number of open event streams, and opens them at a bounded pace."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.domain.rates import Rate, RateLimiter, StreamSlots, retry_after
from onewindow.gateway.settings import GatewaySettings
from onewindow.runtime.problems import ProblemError

# What each paced kind is called in a refusal.
WHAT = {
    "submissions": "submissions",
    "uploads": "uploads",
    "prechecks": "prechecks",
    "streams": "event streams opened",
}
ADDRESS = "address"  # every paced request of one client address, whatever the account


def limiter_from(settings: GatewaySettings) -> RateLimiter:
    """The gateway's rate limiter, paced as its settings say."""
    per_minute = {
        "submissions": settings.rate_submissions_per_minute,
        "uploads": settings.rate_uploads_per_minute,
        "prechecks": settings.rate_prechecks_per_minute,
        "streams": settings.rate_stream_opens_per_minute,
        ADDRESS: settings.rate_per_address_per_minute,
    }
    return RateLimiter(
        {kind: Rate(rate, burst=max(1, int(rate))) for kind, rate in per_minute.items()}
    )


def _too_many(what: str, seconds: float) -> ProblemError:
    wait = retry_after(seconds)
    return ProblemError(
        429,
        "too-many-requests",
        f"Too many {what}; try again in {wait} s.",
        headers={"Retry-After": wait},
    )


def enforce(request: Request, kind: str, actor: Actor) -> None:
    """Take one `kind` request for the caller's account and address, or answer 429."""
    limiter = cast(RateLimiter, request.app.state.rate_limiter)
    address = request.client.host if request.client is not None else "unknown"
    for bucket, caller in ((kind, actor.sub), (ADDRESS, address)):
        wait = limiter.take(bucket, caller)
        if wait is not None:
            raise _too_many(WHAT[kind] if bucket == kind else "requests from this address", wait)


def open_stream(request: Request, actor: Actor) -> StreamSlots:
    """Admit one more open event stream for the caller (capped per account), or answer
    429; the caller releases its slot when the stream ends. (Pace the opens first, with
    `enforce(request, "streams", actor)`, before anything reads the database.)"""
    slots = cast(StreamSlots, request.app.state.stream_slots)
    if not slots.acquire(actor.sub):
        raise _too_many(f"open event streams (at most {slots.per_account})", 5.0)
    return slots
