"""What the kernel reads of a permit service's policy data (the data itself is the
service's: versioned, with its source cited, in its own `policy_data/`)."""

from __future__ import annotations

from datetime import date
from typing import Protocol, TypeVar

from onewindow.permits.numbers import NumberFormat


class PermitPolicy(Protocol):
    """One version of a permit's rules, as far as the lifecycle needs it."""

    @property
    def reservation_days(self) -> int: ...

    @property
    def permit_number(self) -> NumberFormat: ...


PolicyT = TypeVar("PolicyT", bound=PermitPolicy)
PolicyT_co = TypeVar("PolicyT_co", bound=PermitPolicy, covariant=True)


class PolicyBook(Protocol[PolicyT_co]):
    """Every version of a permit's rules."""

    def in_force_on(self, day: date) -> PolicyT_co:
        """The version that governs `day`."""
        ...
