"""The gateway's service credentials (issue 14): a production gateway refuses to start
with the published development service secret, with which anyone could call identity's
registry or the permit services' previews as the gateway."""

from __future__ import annotations

import pytest

from onewindow.runtime.service_tokens import DEVELOPMENT_SERVICE_SECRET, InsecureServiceSecret

from .support import unit_gateway

ISSUER = "https://id.onewindow.example"
OWN_SECRET = "a-secret-of-our-own-0123456789abcdef"  # noqa: S105 - a test key
SHORT_SECRET = "short"  # noqa: S105 - a test key


def test_production_mode_refuses_the_development_service_secret() -> None:
    with pytest.raises(InsecureServiceSecret, match="development service secret is public"):
        unit_gateway(
            environment="production",
            jwt_secret=OWN_SECRET,
            jwt_issuer=ISSUER,
            service_secret=DEVELOPMENT_SERVICE_SECRET,
        )


def test_production_mode_refuses_a_short_service_secret() -> None:
    with pytest.raises(InsecureServiceSecret, match="shorter than 32 bytes"):
        unit_gateway(
            environment="production",
            jwt_secret=OWN_SECRET,
            jwt_issuer=ISSUER,
            service_secret=SHORT_SECRET,
        )


def test_development_mode_starts_with_the_development_service_secret() -> None:
    unit_gateway(environment="development", service_secret=DEVELOPMENT_SERVICE_SECRET)
