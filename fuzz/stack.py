"""The system the fuzzer talks to: the real gateway and every service, each its own OS
process (started by `onewindow.devstack.pytest_plugin.run_services`, as the end-to-end
tests start them), on the real Kafka and database, in a namespace of the run's own.

Kafka and the database are those that `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URL` name,
else the local stack's (started if it is not running, never stopped). The namespace's
topics and databases are removed when the run ends, also on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from onewindow.devstack import infra
from onewindow.devstack.paths import state_dir
from onewindow.devstack.pytest_plugin import (
    Infrastructure,
    RunningServices,
    remove_namespace,
    run_services,
)
from onewindow.devstack.selection import Source
from onewindow.runtime.topics import ensure_topics

# Rates of the fuzzing gateway, per account and minute. The default rates (API.md v1.1:
# 429 with Retry-After) would refuse most of a run's submissions after the first few
# dozen; 429 stays documented on every paced route, and the fuzzer still meets it when
# it is run against a gateway with the default rates (`--gateway`).
GENEROUS_RATES = {
    "GATEWAY_RATE_SUBMISSIONS_PER_MINUTE": "100000",
    "GATEWAY_RATE_UPLOADS_PER_MINUTE": "100000",
    "GATEWAY_RATE_PRECHECKS_PER_MINUTE": "100000",
    "GATEWAY_RATE_STREAM_OPENS_PER_MINUTE": "100000",
    "GATEWAY_RATE_PER_ADDRESS_PER_MINUTE": "1000000",
}


@dataclass
class FuzzInfrastructure(Infrastructure):
    """The servers, with the run's own namespace and extra settings for every service."""

    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return super().env() | self.extra_env


def infrastructure(extra_env: dict[str, str]) -> FuzzInfrastructure:
    """Kafka and the database this run uses, with the namespace's topics created."""
    kafka, mongo = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URL")
    if kafka and mongo:
        source = Source.ENVIRONMENT
    else:
        infra.start_kafka()
        infra.start_ferretdb()
        kafka, mongo, source = infra.kafka_bootstrap(), infra.mongodb_url(), Source.LOCAL
    found = FuzzInfrastructure(
        source=source,
        kafka_bootstrap=kafka,
        mongodb_url=mongo,
        kafka_version="",
        database_version="",
        namespace=f"f{uuid.uuid4().hex[:8]}",
        extra_env=extra_env,
    )
    asyncio.run(ensure_topics(kafka, prefix=found.topic_prefix))
    return found


@contextlib.contextmanager
def running_system(*, generous_rates: bool = True) -> Iterator[RunningServices]:
    """Every service and the gateway as their own processes; stopped, and the namespace's
    topics, databases and mail removed, when the block ends."""
    extra = dict(GENEROUS_RATES) if generous_rates else {}
    extra["ONEWINDOW_LOG_LEVEL"] = os.environ.get("ONEWINDOW_LOG_LEVEL", "WARNING")
    found = infrastructure(extra)
    try:
        with run_services(found) as services:
            yield services
    finally:
        if os.environ.get("ONEWINDOW_KEEP_FUZZ_DATA") != "1":
            asyncio.run(remove_namespace(found))
            shutil.rmtree(state_dir() / f"{found.namespace}-mail", ignore_errors=True)
            (state_dir() / f"{found.namespace}-clock").unlink(missing_ok=True)
