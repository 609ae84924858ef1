"""Broker construction with the project's producer guarantees.

aiokafka defaults to `acks=1` without idempotence; every producer here waits for
all in-sync replicas and is idempotent, so a retried send is never a duplicate
in the log.

Credentials: a service process connects as itself (`connect_as`, called once by
`host.service_main` from its settings), so every broker it builds authenticates with
them: plaintext locally, SASL SCRAM-SHA-512 over TLS on Kubernetes (deploy/k8s).
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from onewindow.runtime.settings import InfraSettings

PRODUCER_SETTINGS: dict[str, object] = {"acks": "all", "enable_idempotence": True}
_SASL: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
    "PLAIN": SASLPlaintext,
    "SCRAM-SHA-256": SASLScram256,
    "SCRAM-SHA-512": SASLScram512,
}
# This process's Kafka credentials (`connect_as`); None: plaintext without a user.
_process_security: BaseSecurity | None = None
_process_instance = ""


def kafka_security(settings: InfraSettings) -> BaseSecurity | None:
    """The connection security `settings` ask for (None for plaintext)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return _SASL[settings.kafka_sasl_mechanism](
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=context is not None,
    )


def client_options(settings: InfraSettings) -> dict[str, Any]:
    """The same security as options of aiokafka's own clients (admin, consumer)."""
    return parse_security(kafka_security(settings))


def connect_as(settings: InfraSettings) -> None:
    """Every broker this process builds from now on uses `settings`' credentials, and its
    consumers are static group members when `settings` name this process's instance."""
    global _process_security, _process_instance
    _process_security = kafka_security(settings)
    _process_instance = settings.instance_id


def static_member(topic: str) -> str | None:
    """The `group.instance.id` of this process's consumer of `topic` (unique in its
    group, the same after a restart), or None when the process has no instance id."""
    return f"{_process_instance}:{topic}" if _process_instance else None


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """A FastStream Kafka broker whose producer is `acks="all"` and idempotent, connecting
    with this process's credentials (`connect_as`)."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        security=_process_security,
        logger=None,
    )
