"""Commands onto the bus without an outbox: one record per command, CloudEvents headers,
personal data sealed, acknowledged writes.

The one writer that publishes straight to Kafka is the gateway: its idempotency claim,
not a commit, makes a retry send the very same command. The broker comes from
`runtime.kafka.make_broker` (`acks="all"`, idempotent), and `send` returns only after
Kafka acknowledged the write, so a 202 means the command is durable in the log. A write
Kafka does not take in time raises `KafkaTimeoutError`, which `runtime.outages` counts
as the broker being away (the gateway answers 503 with `Retry-After`).
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaTimeoutError
from faststream.kafka import KafkaBroker

from onewindow.contracts.catalog import topic_of
from onewindow.contracts.envelope import Envelope, build_headers
from onewindow.contracts.message import Message
from onewindow.runtime import vault

log = logging.getLogger(__name__)


class CommandBus:
    """Publishes commands to their registry topic (with the deployment's prefix)."""

    def __init__(self, broker: KafkaBroker, *, topic_prefix: str, timeout_s: float) -> None:
        self.broker = broker
        self.topic_prefix = topic_prefix
        self.timeout_s = timeout_s

    async def send(self, command: Message, *, key: str, envelope: Envelope) -> None:
        """Publish `command` keyed by `key`; return once Kafka acknowledged it.

        Raises `KafkaTimeoutError` when Kafka does not take it in time (the caller may
        retry: the envelope id makes a resend recognisable).
        """
        topic = self.topic_prefix + topic_of(command).name
        headers = {name: value.decode("utf-8") for name, value in build_headers(envelope)}
        # Its personal data sealed under the case's key, as the outbox relay's records are.
        payload = await vault.dump(command, envelope.correlation_id)
        try:
            await asyncio.wait_for(
                self.broker.publish(
                    payload.encode("utf-8"),
                    topic,
                    key=key.encode("utf-8"),
                    headers=headers,
                    correlation_id=envelope.correlation_id,
                ),
                self.timeout_s,
            )
        except Exception as exc:  # any failure to write means: not accepted
            log.warning(
                "command not published",
                extra={"topic": topic, "type": envelope.type, "error": repr(exc)},
            )
            raise KafkaTimeoutError(
                "The message bus did not accept the request in time; please retry."
            ) from exc
