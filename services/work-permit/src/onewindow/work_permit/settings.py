"""Settings of the work-permit service (environment prefix `WORK_PERMIT_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from onewindow.runtime.service_tokens import ServiceCredentialSettings


class WorkPermitSettings(ServiceCredentialSettings):
    model_config = SettingsConfigDict(env_prefix="WORK_PERMIT_")

    service_name: str = "work-permit"
    http_port: int = 8083
