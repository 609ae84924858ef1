"""Connection settings shared by every process; each service adds its own prefix."""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class InfraSettings(BaseSettings):
    """Where Kafka and the database are. Read from the environment without a prefix,
    so one `KAFKA_BOOTSTRAP_SERVERS` / `MONGODB_URL` pair serves every process."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Aliased, so a service's env prefix does not apply to these shared names.
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    mongodb_url: str = Field(default="mongodb://127.0.0.1:27017/", validation_alias="MONGODB_URL")
    # Prefix of every database name; tests set it to keep their data apart.
    db_prefix: str = Field(default="onewindow", validation_alias="ONEWINDOW_DB_PREFIX")
    # Prefix of every topic and consumer group; tests set it to run beside a live stack.
    topic_prefix: str = Field(default="", validation_alias="ONEWINDOW_TOPIC_PREFIX")
    log_level: str = Field(default="INFO", validation_alias="ONEWINDOW_LOG_LEVEL")
    # The topics a process creates (`ensure_topics`): 1/1 on the one-broker local stack;
    # 3/2 on a cluster, so `acks=all` means two brokers hold every record (on Kubernetes
    # Strimzi's KafkaTopics carry the same, made from the topic registry).
    topic_replication_factor: int = Field(
        default=1, ge=1, validation_alias="KAFKA_TOPIC_REPLICATION_FACTOR"
    )
    topic_min_insync_replicas: int = Field(
        default=1, ge=1, validation_alias="KAFKA_TOPIC_MIN_INSYNC_REPLICAS"
    )

    # How a process authenticates to Kafka: plaintext locally; on Kubernetes SASL
    # SCRAM-SHA-512 over TLS as the service's own KafkaUser, whose ACLs let it write only
    # its own topics (deploy/k8s). The CA file verifies the brokers' certificates.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        default="SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str = Field(default="", validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr = Field(
        default=SecretStr(""), validation_alias="KAFKA_SASL_PASSWORD"
    )
    kafka_ssl_cafile: str = Field(default="", validation_alias="KAFKA_SSL_CAFILE")
    # This process's stable name among its service's replicas (`make run`'s supervisor
    # gives `work-permit-2`). When set, its consumers join their groups as static
    # members (KIP-345, `group.instance.id`): a process restarted after a crash takes its
    # partitions back at once, instead of the group waiting out the dead member's session
    # and rebalancing twice. Empty: dynamic members.
    instance_id: str = Field(default="", validation_alias="ONEWINDOW_INSTANCE_ID")
    # Traces go over OTLP/HTTP to this collector (e.g. http://otel-collector:4318); when
    # empty, tracing is off and costs nothing (runtime.telemetry).
    otlp_endpoint: str = Field(default="", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")


class ServiceSettings(InfraSettings):
    """Settings of one service process: its name, HTTP port and database."""

    service_name: str = "service"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # When not 0, `/readyz` and `/metrics` move to this port (on `management_host`) and the
    # HTTP port answers them 404: the public port of the gateway shows no dependency
    # state and no metrics to the world, while probes and Prometheus use this one.
    management_port: int = 0
    management_host: str = "127.0.0.1"
    # Several processes of this service listen on one HTTP port (Linux SO_REUSEPORT,
    # same user only): the kernel spreads new connections among them, and one that stops
    # gets none, so the address keeps answering while a process restarts. Each process
    # then needs a management port of its own, where its probes reach it and no other.
    http_reuse_port: bool = False

    @property
    def database_name(self) -> str:
        return f"{self.db_prefix}_{self.service_name.replace('-', '_')}"

    @property
    def vault_database(self) -> str:
        """The database of the cases' keys (`runtime.vault`), shared by every service."""
        return f"{self.db_prefix}_vault"

    def topic(self, name: str) -> str:
        """The full name of a registry topic in this deployment."""
        return self.topic_prefix + name


S = TypeVar("S", bound=ServiceSettings)


def narrowed(settings: ServiceSettings, cls: type[S]) -> S:
    """`settings` as the service's own settings class `cls`: themselves when they are one;
    else a `cls` built as the service's process builds one (its own fields from the
    environment, under its prefix), the values the caller set on `settings` taking
    precedence. Only values set are carried over, never `settings`' defaults, so generic
    `ServiceSettings` do not lend the service their name, port and database."""
    if isinstance(settings, cls):
        return settings
    return cls(**settings.model_dump(exclude_unset=True))
