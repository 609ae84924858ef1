"""Wires the work-permit service: the permit kernel's adapters, subscription, timers and
assessment preview around its use cases (`onewindow.permits.bootstrap`); nothing is built
at import time. `bootstrap(settings, clock=, policies=, expiry_scan_interval_s=)` returns
the HTTP app, `bootstrap.build(...)` the wired parts behind it.
"""

from __future__ import annotations

from onewindow.permits.bootstrap import PermitBootstrap
from onewindow.work_permit.application.work_permits import WorkPermits
from onewindow.work_permit.domain.policy import published_policies
from onewindow.work_permit.settings import WorkPermitSettings

bootstrap = PermitBootstrap(WorkPermitSettings, WorkPermits, published_policies)
