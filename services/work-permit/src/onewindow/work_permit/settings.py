"""Settings of the work-permit service (environment prefix `WORK_PERMIT_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from onewindow.runtime.settings import ServiceSettings


class WorkPermitSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORK_PERMIT_")

    service_name: str = "work-permit"
    http_port: int = 8083
