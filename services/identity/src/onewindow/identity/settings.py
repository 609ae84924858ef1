"""Settings of the identity service (environment prefix `IDENTITY_`)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from onewindow.runtime.service_tokens import ServiceCredentialSettings

# Development only: a deployment sets IDENTITY_PERSON_REF_SECRET, and bootstrap
# warns when it has not. Changing the secret changes every person reference, so
# open cases and watch-list entries recorded under the old one are no longer found.
# S105 (hard-coded password) does not apply: this is a published development default.
DEVELOPMENT_PERSON_REF_SECRET = "onewindow-development-person-ref-secret"  # noqa: S105


class IdentitySettings(ServiceCredentialSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore", populate_by_name=True)

    service_name: str = "identity"
    http_port: int = 8082
    # The key of the HMAC that turns a nationality and passport number into a person_ref.
    person_ref_secret: SecretStr = SecretStr(DEVELOPMENT_PERSON_REF_SECRET)
    # The consumer group of the identity.commands subscriber (the topic prefix is added).
    consumer_group: str = "identity"
