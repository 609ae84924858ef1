"""The environment the deployments give each service is the service's settings: every
variable the Kubernetes manifests or deploy/compose.yaml set is one the service reads,
every setting is set in the manifests (nothing left to a development default by
accident), and compose sets the same secrets and connection settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from deploy.k8s.tools import check
from onewindow.applications.settings import ApplicationsSettings
from onewindow.devstack.services import SERVICES
from onewindow.gateway.settings import GatewaySettings
from onewindow.identity.settings import IdentitySettings
from onewindow.notifications.settings import NotificationsSettings
from onewindow.residence_permit.settings import ResidencePermitSettings
from onewindow.work_permit.settings import WorkPermitSettings

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"
SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "applications": ApplicationsSettings,
    "identity": IdentitySettings,
    "work-permit": WorkPermitSettings,
    "residence-permit": ResidencePermitSettings,
    "notifications": NotificationsSettings,
}
# Settings a deployment does not set, and why.
NOT_DEPLOYMENT_SETTINGS = {
    "SERVICE_NAME": "the service's own name, fixed in its code",
    "HTTP_REUSE_PORT": (
        "the local stack's way to run several processes on one port; on Kubernetes each pod "
        "has an address of its own and a Service spreads the connections"
    ),
}
# Secrets of the manifests that compose leaves out, and why.
NOT_IN_COMPOSE = {
    "NOTIFICATIONS_SMTP_USERNAME": "compose's development mail sink has no login",
    "NOTIFICATIONS_SMTP_PASSWORD": "compose's development mail sink has no login",
    "NOTIFICATIONS_WEBHOOKS": "no employer webhooks on one machine",
}
# Infrastructure of compose that is not a One Window service.
COMPOSE_INFRASTRUCTURE = {"kafka", "mongodb", "topics", "mailsink"}


def setting_names(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    return {
        str(field.validation_alias or prefix + name).upper()
        for name, field in settings.model_fields.items()
    }


def manifest_env(overlay: str, service: str) -> dict[str, Any]:
    """Each variable the overlay gives the service's container: its value, or its source."""
    docs = check.render(overlay)
    (deployment,) = [
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == service
    ]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    config_maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        env |= config_maps[source["configMapRef"]["name"]].get("data", {})
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get("value", variable.get("valueFrom"))
    return env


def compose_env(service: str) -> dict[str, str]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"][service]["environment"])


@pytest.mark.parametrize("overlay", check.OVERLAYS)
@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_the_manifests_set_exactly_the_settings_of_each_service(overlay: str, service: str) -> None:
    names = setting_names(SETTINGS[service])
    env = manifest_env(overlay, service)
    assert sorted(set(env) - names) == [], (
        f"set in the manifests, read by no setting of {service}: remove them from "
        f"deploy/k8s/base/services/{service}.env (or {service}.yaml)"
    )
    unset = {n for n in names - set(env) if not any(n.endswith(x) for x in NOT_DEPLOYMENT_SETTINGS)}
    assert sorted(unset) == [], (
        f"settings of {service} the manifests leave to their defaults: add them to "
        f"deploy/k8s/base/services/{service}.env (a secret as a secretKeyRef in {service}.yaml)"
    )


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_secrets_come_from_kubernetes_secrets_never_from_values(service: str) -> None:
    settings = SETTINGS[service]
    prefix = str(settings.model_config.get("env_prefix", ""))
    secret_settings = {
        str(field.validation_alias or prefix + name).upper()
        for name, field in settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }
    env = manifest_env("prod", service)
    for name in secret_settings | {"MONGODB_URL"}:
        assert "secretKeyRef" in env[name], name


def test_compose_runs_every_service_of_the_stack_and_nothing_unknown() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    assert set(compose) - COMPOSE_INFRASTRUCTURE == {s.name for s in SERVICES}
    for service in SERVICES:
        assert compose[service.name]["command"] == ["python", "-m", service.module]


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_compose_sets_only_settings_and_the_same_secrets_and_connections_as_the_manifests(
    service: str,
) -> None:
    env = compose_env(service)
    assert sorted(set(env) - setting_names(SETTINGS[service])) == []
    manifests = manifest_env("prod", service)
    from_secrets = {n for n, v in manifests.items() if isinstance(v, dict)}
    connection = {n for n in manifests if n.startswith("KAFKA_SASL_") or n == "MONGODB_URL"}
    wanted = (from_secrets | connection | {"KAFKA_SECURITY_PROTOCOL"}) - set(NOT_IN_COMPOSE)
    assert sorted(wanted - set(env)) == []
    # A secret is taken from the environment of `docker compose`, never written here.
    for name in from_secrets & set(env):
        assert "${" in env[name], name
    assert env["KAFKA_SASL_USERNAME"] == manifests["KAFKA_SASL_USERNAME"] == service
