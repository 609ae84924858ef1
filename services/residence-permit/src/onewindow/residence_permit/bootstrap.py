"""Wires the residence-permit service: the permit kernel's adapters, subscription, timers
and assessment preview around its use cases (`onewindow.permits.bootstrap`); nothing is
built at import time. `bootstrap(settings, clock=, policies=, expiry_scan_interval_s=)`
returns the HTTP app, `bootstrap.build(...)` the wired parts behind it.
"""

from __future__ import annotations

from onewindow.permits.bootstrap import PermitBootstrap
from onewindow.residence_permit.application.residence_permits import ResidencePermits
from onewindow.residence_permit.domain.policy import published_policies
from onewindow.residence_permit.settings import ResidencePermitSettings

bootstrap = PermitBootstrap(ResidencePermitSettings, ResidencePermits, published_policies)
