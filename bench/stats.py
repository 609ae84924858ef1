"""The arithmetic of the bench, pure: percentiles, rates and the two derived ratios."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0–100) by linear interpolation between closest ranks
    (numpy's default), so p50 of an even count is the mean of the middle two."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, float | int]:
    """Count, mean, p50, p95, p99 and max of `values` (just the count when there are none)."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean": sum(values) / len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values),
    }


def steady_rate(moments: Sequence[float], low: float = 0.1, high: float = 0.9) -> float | None:
    """Events per second between the `low` and `high` quantiles of their moments.

    A closed loop starts with every slot empty and ends with stragglers; the middle of
    the run is the rate the system sustains. None when there are too few events."""
    if len(moments) < 10:
        return None
    ordered = sorted(moments)
    first = round((len(ordered) - 1) * low)
    last = round((len(ordered) - 1) * high)
    span = ordered[last] - ordered[first]
    return (last - first) / span if span > 0 else None


def overall_rate(count: int, started: float, ended: float) -> float | None:
    """`count` events over the wall time from `started` to `ended`."""
    return count / (ended - started) if ended > started and count else None


def fan_out_efficiency(
    applications_per_s: float, messages_per_application: float, relay_messages_per_s: float
) -> float:
    """How much of the raw relay rate the system's own messages reach:
    applications/s × Kafka messages per application ÷ relay messages/s."""
    if relay_messages_per_s <= 0:
        raise ValueError("the relay baseline moved no messages")
    return applications_per_s * messages_per_application / relay_messages_per_s


def latency_inflation(p50_s: float, hops: int, rtt_p50_s: float) -> float:
    """p50 ÷ (hops on the critical path × raw echo round trip p50).

    The echo's round trip crosses the broker twice and a hop once, so a system that
    added nothing to the broker's own latency would score about 0.5."""
    if hops <= 0 or rtt_p50_s <= 0:
        raise ValueError("hops and the round trip must be positive")
    return p50_s / (hops * rtt_p50_s)
