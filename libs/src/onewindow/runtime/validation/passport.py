"""Passport numbers: 5 to 9 letters or digits (DOMAIN.md, validation at the door)."""

from __future__ import annotations

import re

from onewindow.runtime.validation.errors import InvalidInput

# ICAO 9303 gives the number 9 positions in the machine readable zone; national
# numbers shorter than 5 characters do not occur in practice.
_PASSPORT_NUMBER = re.compile(r"[A-Za-z0-9]{5,9}")


class InvalidPassportNumber(InvalidInput):
    """Not 5–9 ASCII letters or digits."""


def validate_passport_number(value: str) -> str:
    """The passport number in its canonical form (trimmed, upper case).

    Raises `InvalidPassportNumber` unless it is 5 to 9 ASCII letters or digits.
    The canonical form is what identifies a person, together with the nationality.
    """
    number = value.strip()
    if not _PASSPORT_NUMBER.fullmatch(number):
        raise InvalidPassportNumber(
            "passport_number",
            f"passport number must be 5 to 9 letters or digits, got {value!r}",
        )
    return number.upper()
