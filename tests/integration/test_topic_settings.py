"""Topics are created with the replication the settings ask for: 1 replica and
`min.insync.replicas` 1 on the one-broker local stack, what a cluster's settings say
elsewhere, and never a `min.insync.replicas` that no write with `acks=all` could meet."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from onewindow.contracts.topics import REGISTRY
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration

TOPIC_OWN = 1  # Kafka's ConfigSource.DYNAMIC_TOPIC_CONFIG, not the broker's default
K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base"


async def test_the_local_stack_creates_topics_with_the_replication_its_settings_name(
    infrastructure: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KAFKA_TOPIC_REPLICATION_FACTOR", raising=False)
    monkeypatch.delenv("KAFKA_TOPIC_MIN_INSYNC_REPLICAS", raising=False)
    prefix = f"{infrastructure.topic_prefix}replication-{uuid.uuid4().hex[:6]}."
    created = await ensure_topics(infrastructure.kafka_bootstrap, prefix=prefix)
    name = prefix + REGISTRY[0].name
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap)
    await admin.start()
    try:
        for _ in range(50):  # until the new topic's metadata has reached the broker
            [described] = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name)]
            )
            error_code, *_, entries = described.resources[0]
            if error_code == 0:
                break
            await asyncio.sleep(0.1)
        # name → (value, source); source 1 is DYNAMIC_TOPIC_CONFIG: set on the topic itself
        configs = {entry[0]: (entry[1], entry[3]) for entry in entries}
        topics = await admin.describe_topics([name])
    finally:
        await admin.delete_topics(created)
        await admin.close()

    assert name in created

    assert configs["min.insync.replicas"] == ("1", TOPIC_OWN)
    assert {len(p["replicas"]) for p in topics[0]["partitions"]} == {1}


async def test_a_min_insync_above_the_replicas_is_refused_before_anything_is_created(
    infrastructure: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_REPLICATION_FACTOR", "1")
    monkeypatch.setenv("KAFKA_TOPIC_MIN_INSYNC_REPLICAS", "2")
    with pytest.raises(ValueError, match=r"min\.insync\.replicas 2 > replication factor 1"):
        await ensure_topics(infrastructure.kafka_bootstrap, prefix="never-created.")


def test_the_cluster_settings_match_the_kafka_topics_of_the_manifests() -> None:
    env = dict(
        line.split("=", 1)
        for line in (K8S / "services" / "onewindow.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    topics = list(yaml.safe_load_all((K8S / "kafka" / "topics.yaml").read_text()))
    specs = [t["spec"] for t in topics if t]

    assert int(env["KAFKA_TOPIC_REPLICATION_FACTOR"]) == 3
    assert int(env["KAFKA_TOPIC_MIN_INSYNC_REPLICAS"]) == 2
    assert {s["replicas"] for s in specs} == {int(env["KAFKA_TOPIC_REPLICATION_FACTOR"])}
    assert {s["config"]["min.insync.replicas"] for s in specs} == {
        int(env["KAFKA_TOPIC_MIN_INSYNC_REPLICAS"])
    }
