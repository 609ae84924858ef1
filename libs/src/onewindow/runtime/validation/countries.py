"""Nationalities: ISO 3166-1 alpha-3 codes, from the data file `data/iso3166-alpha3.txt`."""

from __future__ import annotations

import functools
from importlib import resources

from onewindow.runtime.validation.errors import InvalidInput


class UnknownCountry(InvalidInput):
    """Not an officially assigned ISO 3166-1 alpha-3 code."""


@functools.cache
def country_names() -> dict[str, str]:
    """Every officially assigned alpha-3 code with its English short name."""
    text = (resources.files("onewindow.runtime") / "data" / "iso3166-alpha3.txt").read_text(
        encoding="utf-8"
    )
    names: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.partition("\t")
            names[code] = name
    return names


def is_country(code: str) -> bool:
    """True if `code` is exactly an officially assigned ISO 3166-1 alpha-3 code (upper case)."""
    return code in country_names()


def validate_country(code: str, field: str = "nationality") -> str:
    """The code trimmed and upper-cased; raises `UnknownCountry` unless it is assigned."""
    normalised = code.strip().upper()
    if not is_country(normalised):
        raise UnknownCountry(field, f"{field} must be an ISO 3166-1 alpha-3 code, got {code!r}")
    return normalised
