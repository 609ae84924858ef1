"""Rate limits (API.md v1.1: 429 with `Retry-After`): token buckets per account and per
client address, and a cap on the event streams one account holds open.

Pure and in memory: each gateway process counts what it serves (with N replicas behind
one address, an account gets at most N times the rate; the limits are set with that in
mind). Buckets of callers that went quiet are forgotten, least recent first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """`per_minute` requests a minute, with bursts of up to `burst` at once."""

    per_minute: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError(f"a rate needs a positive pace and burst, got {self}")


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets keyed by (kind, caller)."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        self.rates = dict(rates)
        self._monotonic = monotonic
        self._max = max_callers
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def take(self, kind: str, caller: str) -> float | None:
        """Take one request of `kind` for `caller`: None if allowed, else the seconds
        until one would be (what `Retry-After` says)."""
        rate = self.rates[kind]
        now = self._monotonic()
        key = (kind, caller)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(rate.burst), at=now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            refill = (now - bucket.at) * rate.per_minute / 60.0
            bucket.tokens, bucket.at = min(float(rate.burst), bucket.tokens + refill), now
        self._buckets.move_to_end(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) * 60.0 / rate.per_minute


class StreamSlots:
    """How many event streams each account holds open, capped."""

    def __init__(self, per_account: int) -> None:
        self.per_account = per_account
        self._open: dict[str, int] = {}

    def acquire(self, account: str) -> bool:
        held = self._open.get(account, 0)
        if held >= self.per_account:
            return False
        self._open[account] = held + 1
        return True

    def release(self, account: str) -> None:
        held = self._open.get(account, 0) - 1
        if held > 0:
            self._open[account] = held
        else:
            self._open.pop(account, None)

    def held(self, account: str) -> int:
        return self._open.get(account, 0)


def retry_after(seconds: float) -> str:
    """`Retry-After` in whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
