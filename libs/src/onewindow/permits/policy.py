"""A permit service's policy as versioned data, and what the kernel reads of it.

The data itself is the service's: each version has an effective date and a cited source,
in its own `policy_data/*.json`, read once per process; `Versions.in_force_on(day)` picks
the version that governs a day. A service's policy model subclasses `VersionedPolicy`
and its book `Versions[ThatPolicy]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from importlib import resources
from typing import ClassVar, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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


class PolicyData(BaseModel):
    """Policy data: frozen, and nothing the model does not name."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class PrintedNumber(PolicyData):
    """How the permit's numbers are printed: `prefix` and zero-padded `digits`."""

    prefix: str
    digits: int


class VersionedPolicy(PolicyData):
    """One version of a permit's rules. Read it; never compute policy numbers elsewhere."""

    version: str
    effective_from: date
    source: str


class NoPolicyInForce(LookupError):
    """No policy version was effective on the day asked for."""


V = TypeVar("V", bound=VersionedPolicy)


class Versions(BaseModel, Generic[V]):
    """Every policy version, oldest first (`subject` names the permit in errors)."""

    model_config = ConfigDict(frozen=True)
    subject: ClassVar[str] = "permit"

    versions: tuple[V, ...] = Field(min_length=1)

    @classmethod
    def of(cls, versions: Iterable[V]) -> Self:
        return cls(versions=tuple(sorted(versions, key=lambda p: p.effective_from)))

    @classmethod
    def published(cls, package: str, model: type[V]) -> Self:
        """The versions shipped in `package`'s `policy_data/`."""
        folder = resources.files(package).joinpath("policy_data")
        return cls.of(
            model.model_validate(json.loads(entry.read_text(encoding="utf-8")))
            for entry in folder.iterdir()
            if entry.name.endswith(".json")
        )

    def in_force_on(self, day: date) -> V:
        """The latest version whose effective date is on or before `day`."""
        for policy in reversed(self.versions):
            if policy.effective_from <= day:
                return policy
        raise NoPolicyInForce(f"no {self.subject} policy in force on {day.isoformat()}")

    def with_changes(self, changes: Mapping[str, object]) -> Self:
        """The same book with `changes` applied to every version (tests, pilots)."""
        return self.of(p.model_copy(update=dict(changes)) for p in self.versions)
