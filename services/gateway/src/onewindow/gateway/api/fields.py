"""Field types of the API's request bodies: formats, lengths and ranges at the door.

Format rules shared with identity come from `onewindow.runtime.validation`
(ISO 3166-1 country codes, passport numbers, GB 32100-2015 USCC); each value
is normalised as that library defines (upper case, no spaces). Rules that
compare fields or need today's date are in `domain.admission`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from onewindow.runtime.validation import validate_country, validate_passport_number, validate_uscc

# Bounds of free text and lists: generous for people, small for abuse.
NAME_MAX = 100
TITLE_MAX = 200
ADDRESS_MAX = 300
NOTE_MAX = 2000
REFERENCE_MAX = 64
EMAIL_MAX = 254
SUBJECT_MAX = 200  # as the gateway's tokens allow
DOCUMENTS_MAX = 20
# Registry ids and references: letters, digits and . _ : - , starting with a letter
# or digit (so an id can never be a path segment like "..").
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
# Ranges of numbers: the largest value a real application can hold, not policy.
SALARY_MAX_CNY = 1_000_000_000
EXPERIENCE_MAX_YEARS = 70
MONTHS_MAX = 12
HSK_MAX = 6

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,24}")


class RequestBody(BaseModel):
    """A request body: unknown members are an error (a typo must not pass unnoticed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _calendar_date(value: Any) -> Any:
    # JSON has no date type: a date is a string YYYY-MM-DD, never a number (which
    # pydantic would read as a Unix time) nor a timestamp.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an e-mail address like name@example.org")
    return value


def _phone(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise ValueError("must be a phone number like +8613800000000")
    return value


Day = Annotated[date, BeforeValidator(_calendar_date)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Name = Annotated[Text, StringConstraints(max_length=NAME_MAX)]
Title = Annotated[Text, StringConstraints(max_length=TITLE_MAX)]
Address = Annotated[Text, StringConstraints(max_length=ADDRESS_MAX)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX)]
Reference = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=REFERENCE_MAX, pattern=REFERENCE_PATTERN
    ),
]
Email = Annotated[str, StringConstraints(max_length=EMAIL_MAX), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
Country = Annotated[
    str,
    StringConstraints(max_length=8),
    AfterValidator(validate_country),
    Field(examples=["NLD"], description="ISO 3166-1 alpha-3"),
]
PassportNumber = Annotated[
    str,
    StringConstraints(max_length=16),
    AfterValidator(validate_passport_number),
    Field(examples=["NX4K2P7R1"], description="5–9 letters or digits"),
]
Uscc = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(validate_uscc),
    Field(examples=["91310104MA1FL5KX1N"], description="GB 32100-2015, with its check character"),
]
MrzLine = Annotated[str, StringConstraints(max_length=50)]
# A user account as the identity provider names it (a token's `sub`).
Account = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SUBJECT_MAX),
    Field(examples=["anna.dejong"], description="An applicant account (a token's `sub`)."),
]
