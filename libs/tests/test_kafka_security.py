"""How a process authenticates to Kafka (runtime.kafka): plaintext by default, a SASL
user over TLS when its settings say so, for the FastStream broker and aiokafka alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faststream.security import SASLScram512
from pydantic import SecretStr

from onewindow.runtime import kafka
from onewindow.runtime.settings import InfraSettings

SCRAM_OVER_TLS = InfraSettings(
    kafka_security_protocol="SASL_SSL",
    kafka_sasl_username="work-permit",
    kafka_sasl_password=SecretStr("s3cret"),
)


@pytest.fixture
def process_security() -> Iterator[None]:
    yield
    kafka.connect_as(InfraSettings())


def test_a_process_connects_in_plaintext_unless_its_settings_name_a_user() -> None:
    assert kafka.kafka_security(InfraSettings()) is None
    assert kafka.client_options(InfraSettings()) == {}


def test_a_service_connects_as_its_own_scram_user_over_tls() -> None:
    options = kafka.client_options(SCRAM_OVER_TLS)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "work-permit",
        "s3cret",
    )
    assert options["ssl_context"] is not None  # brokers' certificates are verified


def test_every_broker_the_process_builds_uses_its_credentials(process_security: None) -> None:
    kafka.connect_as(SCRAM_OVER_TLS)
    broker = kafka.make_broker("kafka:9093", client_id="work-permit")
    assert isinstance(broker.specification.security, SASLScram512)
