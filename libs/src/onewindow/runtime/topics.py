"""Creates the registry's topics, with their dead-letter twins, idempotently."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from onewindow.contracts.topics import REGISTRY

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(
    bootstrap_servers: str,
    prefix: str = "",
    replication_factor: int = 1,
    **client_options: Any,
) -> list[str]:
    """Create every missing topic of the registry (and `.dlq` twin); return those created.

    `client_options` are aiokafka's connection options (`kafka.client_options`)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="onewindow-topics", **client_options
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(prefix + name, topic.partitions, replication_factor)
            for topic in REGISTRY
            for name in (topic.name, topic.dlq)
            if prefix + name not in existing
        ]
        if not wanted:
            return []
        response = await admin.create_topics(wanted)
        created = []
        for name, code, message in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code != TOPIC_ALREADY_EXISTS:  # a concurrent creator is fine
                raise RuntimeError(f"cannot create topic {name}: {message} (error {code})")
        log.info("topics created", extra={"topics": created})
        return created
    finally:
        await admin.close()
