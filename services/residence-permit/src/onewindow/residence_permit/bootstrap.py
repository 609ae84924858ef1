"""Wires the residence-permit service: the permit kernel's adapters, subscription and
timers around its use cases (`onewindow.permits.bootstrap`), and the internal preview of
an assessment that the gateway's pre-check asks; nothing is built at import time.

`bootstrap(settings, clock=, policies=, expiry_scan_interval_s=)` returns the HTTP app;
`bootstrap.build(...)` the wired parts behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter

from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.permits.bootstrap import PermitBootstrap
from onewindow.permits.preview import preview_router
from onewindow.permits.service import PermitService
from onewindow.residence_permit.application.residence_permits import ResidencePermits
from onewindow.residence_permit.domain.policy import ResidencePermitPolicy, published_policies
from onewindow.residence_permit.settings import ResidencePermitSettings
from onewindow.runtime.service_tokens import ServiceCredentialVerifier


def routes(
    permits: PermitService[Any, ResidencePermitPolicy], credentials: ServiceCredentialVerifier
) -> Sequence[APIRouter]:
    """`POST /internal/assessments/preview`: what an assessment would answer now, for a
    caller whose service credential `credentials` accepts."""
    assert isinstance(permits, ResidencePermits)
    return [preview_router(AssessResidencePermit, permits.preview_assessment, credentials)]


bootstrap = PermitBootstrap(ResidencePermitSettings, ResidencePermits, published_policies, routes)
