"""Settings of the notifications service (environment prefix `NOTIFICATIONS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from onewindow.runtime.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True
    )

    service_name: str = "notifications"
    http_port: int = 8085
