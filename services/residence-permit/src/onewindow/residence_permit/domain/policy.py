"""Residence-permit policy as versioned data: each version has an effective date and a
cited source, read once from `policy_data/*.json`; `PolicyBook.in_force_on(day)` picks
the version that governs a day."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HealthExemption(_Data):
    """No health certificate is asked of anyone younger than `under_age` or older than
    `over_age` (completed years on the application date)."""

    under_age: int
    over_age: int


class NumberFormat(_Data):
    prefix: str
    digits: int


class ResidencePermitPolicy(_Data):
    """One version of the rules. Read it; never compute policy numbers elsewhere."""

    version: str
    effective_from: date
    source: str
    passport_min_validity_months: int
    health_certificate_max_age_months: int
    health_certificate_exempt: HealthExemption
    reservation_days: int
    permit_number: NumberFormat


class NoPolicyInForce(LookupError):
    """No policy version was effective on the day asked for."""


class PolicyBook(BaseModel):
    """Every policy version, oldest first."""

    model_config = ConfigDict(frozen=True)

    versions: tuple[ResidencePermitPolicy, ...] = Field(min_length=1)

    @classmethod
    def of(cls, versions: Iterable[ResidencePermitPolicy]) -> PolicyBook:
        return cls(versions=tuple(sorted(versions, key=lambda p: p.effective_from)))

    def in_force_on(self, day: date) -> ResidencePermitPolicy:
        """The latest version whose effective date is on or before `day`."""
        for policy in reversed(self.versions):
            if policy.effective_from <= day:
                return policy
        raise NoPolicyInForce(f"no residence-permit policy in force on {day.isoformat()}")

    def with_changes(self, changes: Mapping[str, object]) -> PolicyBook:
        """The same book with `changes` applied to every version (tests, pilots)."""
        return PolicyBook.of(p.model_copy(update=dict(changes)) for p in self.versions)


@cache
def published_policies() -> PolicyBook:
    """The policy versions shipped in `policy_data/`, read once per process."""
    folder = resources.files(__package__).joinpath("policy_data")
    versions = [
        ResidencePermitPolicy.model_validate(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return PolicyBook.of(versions)
