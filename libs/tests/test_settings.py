"""A service's bootstrap narrows the generic settings it is given to its own class, the
same way in every service (`settings.narrowed`)."""

from __future__ import annotations

import pytest
from pydantic_settings import SettingsConfigDict

from onewindow.runtime.settings import ServiceSettings, narrowed


class MailSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MAIL_")

    service_name: str = "mail"
    http_port: int = 8099
    smtp_port: int = 25


def test_settings_of_the_service_s_own_class_are_used_as_they_are() -> None:
    settings = MailSettings(smtp_port=2525)
    assert narrowed(settings, MailSettings) is settings


def test_generic_settings_keep_what_the_caller_set_and_lend_no_defaults() -> None:
    settings = narrowed(ServiceSettings(db_prefix="test", topic_prefix="t-"), MailSettings)
    assert (settings.db_prefix, settings.topic_prefix) == ("test", "t-")
    assert (settings.service_name, settings.http_port) == ("mail", 8099)
    assert settings.database_name == "test_mail"


def test_the_service_s_own_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAIL_SMTP_PORT", "1025")
    monkeypatch.setenv("MAIL_HTTP_PORT", "9000")
    settings = narrowed(ServiceSettings(http_port=8123), MailSettings)
    assert settings.smtp_port == 1025
    assert settings.http_port == 8123  # what the caller set wins over the environment
