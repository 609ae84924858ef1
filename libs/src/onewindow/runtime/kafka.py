"""Broker construction with the project's producer guarantees.

aiokafka defaults to `acks=1` without idempotence; every producer here waits for
all in-sync replicas and is idempotent, so a retried send is never a duplicate
in the log.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

PRODUCER_SETTINGS: dict[str, object] = {"acks": "all", "enable_idempotence": True}


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """A FastStream Kafka broker whose producer is `acks="all"` and idempotent."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        logger=None,
    )
