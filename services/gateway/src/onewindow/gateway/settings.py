"""Settings of the gateway service (environment prefix `GATEWAY_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from onewindow.gateway.domain.uploads import MAX_UPLOAD_BYTES
from onewindow.ops.tokens import DEFAULT_AUDIENCE, DEVELOPMENT_JWT_SECRET
from onewindow.runtime.service_tokens import ServiceCredentialSettings

# The development key and audience are shared with `onewindow token` (public by design:
# a deployment that faces anyone but its own developer sets GATEWAY_JWT_SECRET).
__all__ = ["DEFAULT_AUDIENCE", "DEVELOPMENT_JWT_SECRET", "GatewaySettings"]


class GatewaySettings(ServiceCredentialSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    http_port: int = 8080

    # Bearer tokens (API.md "Auth"): HS256 with a shared secret. Outside development
    # (`environment`, ONEWINDOW_ENV) the gateway refuses to start with the development key
    # or without an issuer.
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwt_audience: str = DEFAULT_AUDIENCE
    # When set, tokens must carry this `iss`; when empty, any issuer is accepted.
    jwt_issuer: str = ""
    # The identity provider's public keys (JWKS): a file path or an http(s) URL; RS256 and
    # ES256 tokens are verified against them by `kid`.
    jwt_jwks: str = ""
    # Clock skew tolerated on `exp` and `nbf`, in seconds.
    jwt_leeway_s: float = 30.0

    # API.md "Conventions": request bodies over 1 MiB are refused with 413.
    max_body_bytes: int = 1024 * 1024
    # API.md v1.1 `POST /v1/uploads`: a file of at most 10 MiB.
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    # How long a claimed Idempotency-Key stays "being processed" (409 for a repeat)
    # before a retry may take it over after a crash.
    idempotency_lease_s: float = 60.0
    # How long a write to Kafka may take before the caller gets 503.
    publish_timeout_s: float = 15.0

    # Rates (API.md v1.1: 429 with Retry-After), per account and minute, bursts as large;
    # and per client address for all of them together.
    rate_submissions_per_minute: float = 20
    rate_uploads_per_minute: float = 60
    rate_prechecks_per_minute: float = 60
    rate_stream_opens_per_minute: float = 30
    rate_per_address_per_minute: float = 6000
    # Event streams one account may hold open at once.
    max_open_streams_per_account: int = 5

    # The identity service's internal API, behind the clerks' registry routes.
    identity_url: str = Field(
        default="http://127.0.0.1:8082", validation_alias="ONEWINDOW_IDENTITY_URL"
    )
    identity_timeout_s: float = 5.0
    # The permit services' internal assessment previews, behind the pre-check.
    work_permit_url: str = Field(
        default="http://127.0.0.1:8083", validation_alias="ONEWINDOW_WORK_PERMIT_URL"
    )
    residence_permit_url: str = Field(
        default="http://127.0.0.1:8084", validation_alias="ONEWINDOW_RESIDENCE_PERMIT_URL"
    )
    permits_timeout_s: float = 5.0

    # The reference web app's folder (served at `/`); empty: `web/` of the source tree.
    web_dir: str = ""
