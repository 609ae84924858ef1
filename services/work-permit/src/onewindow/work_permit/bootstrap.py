"""Wires the work-permit service: the permit kernel's adapters, subscription and timers
around its use cases (`onewindow.permits.bootstrap`), and the internal preview of an
assessment that the gateway's pre-check asks; nothing is built at import time.

`bootstrap(settings, clock=, policies=, expiry_scan_interval_s=)` returns the HTTP app;
`bootstrap.build(...)` the wired parts behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter

from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.bootstrap import PermitBootstrap
from onewindow.permits.preview import preview_router
from onewindow.permits.service import PermitService
from onewindow.runtime.service_tokens import ServiceCredentialVerifier
from onewindow.work_permit.application.work_permits import WorkPermits
from onewindow.work_permit.domain.policy import WorkPermitPolicy, published_policies
from onewindow.work_permit.settings import WorkPermitSettings


def routes(
    permits: PermitService[Any, WorkPermitPolicy], credentials: ServiceCredentialVerifier
) -> Sequence[APIRouter]:
    """`POST /internal/assessments/preview`: what an assessment would answer now, for a
    caller whose service credential `credentials` accepts."""
    assert isinstance(permits, WorkPermits)
    return [preview_router(AssessWorkPermit, permits.preview_assessment, credentials)]


bootstrap = PermitBootstrap(WorkPermitSettings, WorkPermits, published_policies, routes)
