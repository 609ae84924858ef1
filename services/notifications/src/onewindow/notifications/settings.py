"""Settings of the notifications service (environment prefix `NOTIFICATIONS_`).

SMTP: `NOTIFICATIONS_SMTP_HOST`, `_SMTP_PORT`, `_SMTP_TLS` (`none`, `starttls` or
`tls`), `_SMTP_USERNAME`, `_SMTP_PASSWORD`, `_FROM_ADDRESS`; the supervisors'
address for missed deadlines `_SUPERVISOR_EMAIL`; employers' webhooks
`_WEBHOOKS` as JSON `{"<USCC>": "https://…"}`; the retry schedule `_RETRY_*`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from onewindow.notifications.domain.delivery import RetryPolicy
from onewindow.runtime.settings import ServiceSettings

SmtpTls = Literal["none", "starttls", "tls"]
# Plain http is accepted for these hosts only, so a local receiver needs no certificate.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True
    )

    service_name: str = "notifications"
    http_port: int = 8085
    # Kafka consumer group (prefixed like the topics); replicas share it.
    consumer_group: str = "notifications"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_tls: SmtpTls = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=15.0, gt=0)
    from_address: str = "One Window <noreply@onewindow.example.org>"
    supervisor_email: str = "supervisors@onewindow.example.org"

    # Employer USCC → HTTPS URL that receives a JSON POST for each of its notices.
    webhooks: dict[str, str] = Field(default={})
    webhook_timeout_s: float = Field(default=10.0, gt=0)

    retry_first_delay_s: float = Field(default=5.0, gt=0)
    retry_max_delay_s: float = Field(default=900.0, gt=0)
    retry_max_attempts: int = Field(default=12, ge=1)
    retry_give_up_after_s: float = Field(default=86_400.0, gt=0)
    # How often the delivery loop looks for due retries when nothing woke it.
    poll_interval_s: float = Field(default=2.0, gt=0)
    # How long a claimed delivery is reserved for its claimant; longer than one attempt.
    lease_s: float = Field(default=120.0, gt=0)
    delivery_concurrency: int = Field(default=8, ge=1)

    @field_validator("webhooks")
    @classmethod
    def _https_only(cls, webhooks: dict[str, str]) -> dict[str, str]:
        for uscc, url in webhooks.items():
            parts = urlsplit(url)
            local = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
            if parts.scheme != "https" and not local:
                raise ValueError(f"webhook of {uscc} must be an https:// URL")
        return webhooks

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            first_delay=timedelta(seconds=self.retry_first_delay_s),
            max_delay=timedelta(seconds=self.retry_max_delay_s),
            max_attempts=self.retry_max_attempts,
            give_up_after=timedelta(seconds=self.retry_give_up_after_s),
        )

    @property
    def lease(self) -> timedelta:
        # Never shorter than a full attempt: a lease that lapses mid-send lets another
        # replica send the same message again.
        longest = max(self.smtp_timeout_s, self.webhook_timeout_s) * 3
        return timedelta(seconds=max(self.lease_s, longest))
