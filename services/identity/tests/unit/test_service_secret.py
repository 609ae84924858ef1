"""Identity outside development refuses to start with the published development service
secret: with it anyone could write the registry as the gateway, for any clerk."""

from __future__ import annotations

import pytest

from onewindow.identity.bootstrap import bootstrap
from onewindow.identity.settings import IdentitySettings
from onewindow.runtime.service_tokens import DEVELOPMENT_SERVICE_SECRET, InsecureServiceSecret


def test_production_mode_refuses_the_development_service_secret() -> None:
    settings = IdentitySettings(environment="production", service_secret=DEVELOPMENT_SERVICE_SECRET)
    with pytest.raises(InsecureServiceSecret, match="development service secret is public"):
        bootstrap(settings)
