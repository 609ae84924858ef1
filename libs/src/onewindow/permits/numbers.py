"""Permit numbers: `<prefix>-<year>-<sequence>`, e.g. `WP-2026-000123`."""

from __future__ import annotations

from typing import Protocol


class NumberFormat(Protocol):
    """How a permit's numbers are printed (each service's policy data says)."""

    @property
    def prefix(self) -> str: ...

    @property
    def digits(self) -> int: ...


def series(fmt: NumberFormat, year: int) -> str:
    """The series a number belongs to; each series counts from 1."""
    return f"{fmt.prefix}-{year}"


def permit_number(fmt: NumberFormat, year: int, sequence: int) -> str:
    """The printed number of the `sequence`-th permit of `year`."""
    return f"{series(fmt, year)}-{sequence:0{fmt.digits}d}"
