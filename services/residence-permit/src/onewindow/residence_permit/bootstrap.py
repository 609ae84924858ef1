"""Wires the residence-permit service: the permit kernel's adapters, subscription and
timers around its use cases (`onewindow.permits.bootstrap`); nothing is built at import
time.

`bootstrap(settings, clock=, policies=, expiry_scan_interval_s=)` returns the HTTP app.
"""

from __future__ import annotations

from onewindow.permits.bootstrap import PermitBootstrap
from onewindow.residence_permit.application.residence_permits import ResidencePermits
from onewindow.residence_permit.domain.policy import published_policies

bootstrap = PermitBootstrap(ResidencePermits, published_policies)
