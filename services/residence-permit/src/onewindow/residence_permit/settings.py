"""Settings of the residence-permit service (environment prefix `RESIDENCE_PERMIT_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from onewindow.runtime.service_tokens import ServiceCredentialSettings


class ResidencePermitSettings(ServiceCredentialSettings):
    model_config = SettingsConfigDict(env_prefix="RESIDENCE_PERMIT_")

    service_name: str = "residence-permit"
    http_port: int = 8084
