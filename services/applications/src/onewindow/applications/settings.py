"""Settings of the applications service (environment prefix `APPLICATIONS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from onewindow.runtime.settings import ServiceSettings


class ApplicationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="APPLICATIONS_", extra="ignore", populate_by_name=True
    )

    service_name: str = "applications"
    http_port: int = 8081
    # How often the statutory-clock timer looks for missed deadlines.
    deadline_check_interval_s: float = 30.0
