"""The KafkaUsers' ACLs (deploy/k8s/base/kafka/users.yaml, made from the topic registry)
on a real broker: a Kafka 4.4 of the test's own with SASL and Kafka's standard authorizer,
given the very ACLs the manifests give each service, and services connecting the way they
do on Kubernetes (settings → `kafka.connect_as` → `make_broker`). A service writes its own
topics and the dead-letter twins of what it reads, reads with its group, and is refused
anything else; a wrong password is refused."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from pydantic import SecretStr

from deploy.k8s.tools.manifests import BASE
from onewindow.devstack import infra
from onewindow.devstack.ports import free_port
from onewindow.runtime import kafka
from onewindow.runtime.settings import InfraSettings
from onewindow.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration

ADMIN = "admin"
USERS = ("gateway", "work-permit")
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def password(user: str) -> str:
    return f"{user}-password"


@dataclass(frozen=True)
class SaslKafka(infra.DedicatedKafka):
    """The stack's broker settings with a SASL/PLAIN listener and ACLs enforced."""

    def _config(self) -> Path:
        config = super()._config()
        users = " ".join(f'user_{u}="{password(u)}"' for u in (ADMIN, *USERS))
        text = config.read_text().replace("PLAINTEXT://", "SASL_PLAINTEXT://")
        text = text.replace(
            "inter.broker.listener.name=PLAINTEXT", "inter.broker.listener.name=SASL_PLAINTEXT"
        )
        text = text.replace(
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,",
            "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,",
        )
        text += (
            "sasl.enabled.mechanisms=PLAIN\n"
            "sasl.mechanism.inter.broker.protocol=PLAIN\n"
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{ADMIN}" password="{password(ADMIN)}" {users};\n'
            f"authorizer.class.name={AUTHORIZER}\n"
            # The controller listener on loopback carries the node's own requests.
            f"super.users=User:{ADMIN};User:ANONYMOUS\n"
        )
        config.write_text(text)
        return config


def settings_of(user: str, secret: str | None = None) -> InfraSettings:
    return InfraSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username=user,
        kafka_sasl_password=SecretStr(secret or password(user)),
    )


def grant(broker: SaslKafka, folder: Path, user: str) -> None:
    """Give `user` the ACLs its KafkaUser has in the manifests (Kafka's own AclCommand)."""
    (found,) = [
        u
        for u in yaml.safe_load_all((BASE / "kafka" / "users.yaml").read_text())
        if u and u["metadata"]["name"] == user
    ]
    admin = folder / "admin.properties"
    admin.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{ADMIN}" password="{password(ADMIN)}";\n'
    )
    by_kind: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for acl in found["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        key = (resource["type"], resource["patternType"], tuple(acl["operations"]))
        by_kind.setdefault(key, []).append(resource["name"])
    for (kind, pattern, operations), names in by_kind.items():
        argv = ["--add", "--allow-principal", f"User:{user}"]
        argv += [arg for op in operations for arg in ("--operation", op)]
        argv += [arg for name in names for arg in (f"--{kind}", name)]
        argv += ["--resource-pattern-type", "prefixed" if pattern == "prefix" else "literal"]
        subprocess.run(
            infra._java(
                infra.kafka_libs(),
                "org.apache.kafka.tools.AclCommand",
                "--bootstrap-server",
                broker.bootstrap,
                "--command-config",
                str(admin),
                *argv,
                logs=folder / "logs",
            ),
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="module")
def secured() -> Iterator[SaslKafka]:
    folder = Path(tempfile.mkdtemp(prefix="onewindow-acls-"))
    broker = SaslKafka("acls", free_port(), free_port(), folder)
    broker.start()
    try:
        import asyncio

        asyncio.run(ensure_topics(broker.bootstrap, **kafka.client_options(settings_of(ADMIN))))
        for user in USERS:
            grant(broker, folder, user)
        yield broker
    finally:
        broker.remove()


@pytest.fixture
async def connect(secured: SaslKafka) -> AsyncIterator[Any]:
    started: list[KafkaBroker] = []

    async def as_user(user: str, secret: str | None = None) -> KafkaBroker:
        kafka.connect_as(settings_of(user, secret))  # what service_main does
        broker = kafka.make_broker(secured.bootstrap, client_id=user)
        started.append(broker)
        await broker.start()
        return broker

    yield as_user
    kafka.connect_as(InfraSettings())
    for broker in started:
        await broker.stop()


async def refused(broker: KafkaBroker, topic: str) -> bool:
    try:
        await broker.publish(b"{}", topic, key=b"case-1")
    except KafkaError as error:
        return "Authorization" in type(error).__name__
    return False


async def test_a_service_writes_its_own_topics_and_dead_letters_and_nothing_else(
    connect: Any,
) -> None:
    work_permit = await connect("work-permit")
    await work_permit.publish(b"{}", "work-permit.events", key=b"case-1")
    await work_permit.publish(b"{}", "work-permit.commands.dlq", key=b"case-1")
    assert await refused(work_permit, "applications.events")
    assert await refused(work_permit, "work-permit.commands")  # the saga's to write

    gateway = await connect("gateway")
    await gateway.publish(b"{}", "applications.commands", key=b"case-1")
    assert await refused(gateway, "work-permit.events")


async def read_one(secured: SaslKafka, user: str, topic: str, group: str) -> bool:
    """Whether `user` reads a record of `topic` as a member of `group` within 15 s."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=secured.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        **kafka.client_options(settings_of(user)),
    )
    try:
        await consumer.start()
        for _ in range(15):
            if any((await consumer.getmany(timeout_ms=1000)).values()):
                return True
        return False
    finally:
        await consumer.stop()


async def test_a_service_reads_what_it_consumes_with_its_own_group_and_nothing_else(
    secured: SaslKafka, connect: Any
) -> None:
    admin = await connect(ADMIN)
    await admin.publish(b"{}", "work-permit.commands", key=b"case-2")
    await admin.publish(b"{}", "applications.commands", key=b"case-2")

    assert await read_one(secured, "work-permit", "work-permit.commands", "work-permit")
    with pytest.raises(KafkaError, match="Authorization"):
        await read_one(secured, "work-permit", "applications.commands", "applications")


async def test_a_wrong_password_is_refused(connect: Any, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(KafkaError):
        await connect("work-permit", "not-the-password")
    assert "SaslAuthenticationFailed" in caplog.text
