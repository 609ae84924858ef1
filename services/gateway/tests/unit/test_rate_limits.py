"""429 with Retry-After (API.md v1.1): token buckets per account and per address, and a
cap on the event streams one account holds open."""

from __future__ import annotations

import uuid

import pytest

from onewindow.gateway.domain.rates import Rate, RateLimiter, StreamSlots, retry_after

from .support import application, auth, unit_gateway


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_the_pace_and_the_wait_is_named() -> None:
    clock = Ticking()
    limiter = RateLimiter({"submissions": Rate(per_minute=6, burst=3)}, monotonic=clock)
    assert [limiter.take("submissions", "anna") for _ in range(3)] == [None, None, None]
    wait = limiter.take("submissions", "anna")
    assert wait == pytest.approx(10.0)  # 6 a minute: one every 10 s
    assert limiter.take("submissions", "bram") is None  # another account is not held back
    clock.now = 10.0
    assert limiter.take("submissions", "anna") is None
    assert limiter.take("submissions", "anna") is not None


def test_quiet_callers_are_forgotten_least_recent_first() -> None:
    limiter = RateLimiter({"x": Rate(per_minute=1, burst=1)}, max_callers=2)
    for caller in ("a", "b", "c"):
        limiter.take("x", caller)
    assert limiter.take("x", "a") is None  # forgotten, so a full bucket again
    assert limiter.take("x", "c") is not None


def test_open_streams_are_capped_per_account_and_released() -> None:
    slots = StreamSlots(per_account=2)
    assert slots.acquire("anna")
    assert slots.acquire("anna")
    assert not slots.acquire("anna")
    assert slots.acquire("bram")
    slots.release("anna")
    assert slots.acquire("anna")
    assert retry_after(0.2) == "1"
    assert retry_after(9.1) == "10"


async def test_submissions_over_the_accounts_rate_get_429_with_retry_after() -> None:
    gateway = unit_gateway(rate_submissions_per_minute=3)
    async with gateway.client() as client:
        answers = [
            await client.post(
                "/v1/applications",
                json=application(),
                headers={**auth(sub="carl"), "Idempotency-Key": str(uuid.uuid4())},
            )
            for _ in range(4)
        ]
        other = await client.post(
            "/v1/applications",
            json=application(),
            headers={**auth(sub="dora"), "Idempotency-Key": str(uuid.uuid4())},
        )
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/too-many-requests")
    assert int(refused.headers["retry-after"]) == 20  # 3 a minute: the next in 20 s
    assert len(gateway.bus.sent) == 3 + 1  # nothing of the refused one was sent
    assert other.status_code == 202
