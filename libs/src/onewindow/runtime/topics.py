"""Creates the registry's topics, with their dead-letter twins, idempotently."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from onewindow.contracts.topics import REGISTRY
from onewindow.runtime.settings import InfraSettings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(
    bootstrap_servers: str,
    prefix: str = "",
    replication_factor: int | None = None,
    min_insync_replicas: int | None = None,
    **client_options: Any,
) -> list[str]:
    """Create every missing topic of the registry (and `.dlq` twin); return those created.

    Replication and `min.insync.replicas` default to the settings
    (`KAFKA_TOPIC_REPLICATION_FACTOR`, `KAFKA_TOPIC_MIN_INSYNC_REPLICAS`; 1 and 1 unless
    set). `client_options` are aiokafka's connection options (`kafka.client_options`)."""
    settings = InfraSettings()
    replicas = replication_factor or settings.topic_replication_factor
    min_insync = min_insync_replicas or settings.topic_min_insync_replicas
    if min_insync > replicas:
        raise ValueError(f"min.insync.replicas {min_insync} > replication factor {replicas}")
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="onewindow-topics", **client_options
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                prefix + name,
                topic.partitions,
                replicas,
                topic_configs={"min.insync.replicas": str(min_insync)},
            )
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
