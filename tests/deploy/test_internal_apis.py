"""The internal APIs (identity's registry, the permit services' previews) are not exposed:
a service listens on loopback unless its deployment says otherwise, compose publishes the
gateway alone (on loopback), and every deployment gives the gateway and the services it
calls the same service secret, from a Secret, never a value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from deploy.k8s.tools import check
from onewindow.applications.settings import ApplicationsSettings
from onewindow.gateway.settings import GatewaySettings
from onewindow.identity.settings import IdentitySettings
from onewindow.notifications.settings import NotificationsSettings
from onewindow.residence_permit.settings import ResidencePermitSettings
from onewindow.work_permit.settings import WorkPermitSettings

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"
SETTINGS: list[type[BaseSettings]] = [
    GatewaySettings,
    ApplicationsSettings,
    IdentitySettings,
    WorkPermitSettings,
    ResidencePermitSettings,
    NotificationsSettings,
]
# The gateway and the services whose internal APIs it calls.
CREDENTIALED = ["gateway", "identity", "work-permit", "residence-permit"]
SECRET_VARIABLE = "ONEWINDOW_SERVICE_SECRET"  # noqa: S105 - a variable's name


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s.__name__)
def test_a_service_listens_on_loopback_unless_told_otherwise(
    settings: type[BaseSettings],
) -> None:
    assert settings.model_fields["http_host"].default == "127.0.0.1"


def test_compose_publishes_the_gateway_alone_and_on_loopback() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert list(published) == ["gateway"]
    assert all(str(port).startswith("127.0.0.1:") for port in published["gateway"])


def secret_of(overlay: str, service: str) -> Any:
    """Where the overlay's Deployment of `service` takes the service secret from."""
    (deployment,) = [
        d
        for d in check.render(overlay)
        if d["kind"] == "Deployment" and d["metadata"]["name"] == service
    ]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (variable,) = [v for v in container.get("env", []) if v["name"] == SECRET_VARIABLE]
    assert "value" not in variable, f"{service}: a secret's value is never in a manifest"
    return variable["valueFrom"]["secretKeyRef"]


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_the_gateway_and_the_services_it_calls_share_one_secret(overlay: str) -> None:
    sources = {service: secret_of(overlay, service) for service in CREDENTIALED}
    assert sources["gateway"] == {"name": "onewindow-service", "key": "secret"}
    assert all(source == sources["gateway"] for source in sources.values()), sources


def test_compose_gives_them_the_same_secret_from_its_environment() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for service in CREDENTIALED:
        given = services[service]["environment"][SECRET_VARIABLE]
        assert given == f"${{{SECRET_VARIABLE}:?set {SECRET_VARIABLE}}}", service
