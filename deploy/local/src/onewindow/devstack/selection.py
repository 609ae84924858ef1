"""Which infrastructure a test session uses, decided in one place.

1. `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URL` set: those servers.
2. Otherwise, a Docker engine that answers: testcontainers (Kafka in KRaft mode,
   MongoDB).
3. Otherwise: the local stack of `deploy/local` (Kafka 4.4 and FerretDB 1.24).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping


class Source(enum.StrEnum):
    ENVIRONMENT = "environment"
    TESTCONTAINERS = "testcontainers"
    LOCAL = "local stack"


class HalfConfigured(ValueError):
    """Only one of the two URLs is set: a mistake, never silently completed."""


def choose(env: Mapping[str, str], docker_answers: Callable[[], bool]) -> Source:
    """The source of Kafka and the database for this run."""
    kafka, mongo = env.get("KAFKA_BOOTSTRAP_SERVERS"), env.get("MONGODB_URL")
    if kafka and mongo:
        return Source.ENVIRONMENT
    if kafka or mongo:
        missing = "MONGODB_URL" if kafka else "KAFKA_BOOTSTRAP_SERVERS"
        raise HalfConfigured(f"{missing} is not set while its partner is; set both or neither")
    if docker_answers():
        return Source.TESTCONTAINERS
    return Source.LOCAL


def docker_answers() -> bool:
    """True when a Docker engine answers a ping (not merely when the client exists)."""
    try:
        import docker  # type: ignore[import-untyped]  # ships no stubs; optional here
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=3)
        return bool(client.ping())
    except Exception:
        return False
