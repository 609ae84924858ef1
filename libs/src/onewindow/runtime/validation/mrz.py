"""The passport's machine readable zone: ICAO Doc 9303 Part 4, format TD3 (2 lines × 44).

Line 1: document code (2), issuing state (3), name field (39: SURNAME<<GIVEN<NAMES).
Line 2: passport number (9) + check digit, nationality (3), date of birth (YYMMDD) +
check digit, sex (M, F or < for unspecified), date of expiry (YYMMDD) + check digit,
optional data / personal number (14) + check digit, composite check digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from onewindow.runtime.validation import names
from onewindow.runtime.validation.errors import InvalidInput

LINE_LENGTH = 44
NAME_LENGTH = 39
FILLER = "<"
Sex = Literal["F", "M", "X"]
# ICAO 9303 Part 3 codes for issuing states and nationalities that differ from
# ISO 3166-1 alpha-3 for the same state: Germany writes "D<<".
ICAO_TO_ISO: dict[str, str] = {"D": "DEU"}
# A birth date is the latest one not after today; an expiry date lies in this window
# of years around today (passports are valid for at most 10 years).
EXPIRY_YEARS_BACK = 50

_CHARSET = re.compile(r"[A-Z0-9<]*")
_STATE = re.compile(r"[A-Z]{1,3}<{0,2}")
# (label, start, end) of each field protected by its own check digit, on line 2.
_CHECKED: tuple[tuple[str, int, int], ...] = (
    ("passport_number", 0, 9),
    ("date_of_birth", 13, 19),
    ("expires_on", 21, 27),
    ("optional_data", 28, 42),
)
_COMPOSITE_SPANS = ((0, 10), (13, 20), (21, 43))


class MrzError(InvalidInput):
    """The MRZ is malformed or a check digit fails; `part` names what failed."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__("passport.mrz", message)
        self.part = part


@dataclass(frozen=True)
class Td3:
    """A parsed TD3 zone; codes and numbers without fillers, names with single spaces."""

    lines: tuple[str, str]
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    passport_number: str
    nationality: str
    date_of_birth: date
    sex: Sex
    expires_on: date
    optional_data: str
    passport_number_check: str
    date_of_birth_check: str
    expires_on_check: str
    optional_data_check: str
    composite_check: str

    @property
    def name_truncated(self) -> bool:
        """True if names may have been shortened to fit: the name field ends without two
        fillers (a layout of 38 characters is, leniently, counted as shortened too), or
        its two last fillers are the separator after a primary identifier that filled
        the rest, so no secondary identifier fitted (counted the same way)."""
        field = self.lines[0][5:]
        return not field.endswith(FILLER * 2) or len(field.rstrip(FILLER)) == len(field) - 2

    @property
    def nationality_iso(self) -> str:
        """The nationality as an ISO 3166-1 alpha-3 code where ICAO's differs ("D" → "DEU")."""
        return ICAO_TO_ISO.get(self.nationality, self.nationality)

    @property
    def issuing_state_iso(self) -> str:
        """The issuing state as an ISO 3166-1 alpha-3 code where ICAO's differs."""
        return ICAO_TO_ISO.get(self.issuing_state, self.issuing_state)


def check_digit(data: str) -> str:
    """ICAO 9303 Part 3 check digit: weights 7, 3, 1 repeating; 0–9 as themselves,
    A–Z as 10–35, the filler as 0; the sum modulo 10."""
    total = 0
    for index, char in enumerate(data):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == FILLER:
            value = 0
        else:
            raise ValueError(f"{char!r} cannot appear in a machine readable zone")
        total += value * (7, 3, 1)[index % 3]
    return str(total % 10)


def _verify(line2: str, label: str, data: str, position: int) -> str:
    actual = line2[position]
    expected = check_digit(data)
    # An unused optional data field may carry a filler as its check digit.
    if label == "optional_data" and set(data) == {FILLER} and actual == FILLER:
        return actual
    if actual != expected:
        raise MrzError(
            f"{label}_check",
            f"MRZ check digit of the {label.replace('_', ' ')} (line 2, position "
            f"{position + 1}) is {actual!r}, expected {expected!r}",
        )
    return actual


def _yymmdd(text: str, label: str) -> tuple[int, int, int]:
    if not text.isdigit():
        raise MrzError(label, f"MRZ {label.replace('_', ' ')} {text!r} is not YYMMDD")
    return int(text[:2]), int(text[2:4]), int(text[4:])


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _birth(text: str, today: date) -> date:
    yy, mm, dd = _yymmdd(text, "date_of_birth")
    for century in (2000, 1900):
        found = _date_or_none(century + yy, mm, dd)
        if found is not None and found <= today:
            return found
    raise MrzError("date_of_birth", f"MRZ date of birth {text!r} is not a past date")


def _expiry(text: str, today: date) -> date:
    yy, mm, dd = _yymmdd(text, "expires_on")
    first = today.year - EXPIRY_YEARS_BACK
    found = _date_or_none(first + (yy - first) % 100, mm, dd)
    if found is None:
        raise MrzError("expires_on", f"MRZ date of expiry {text!r} is not a date")
    return found


def _state(code: str, label: str) -> str:
    if not _STATE.fullmatch(code):
        raise MrzError(label, f"MRZ {label.replace('_', ' ')} {code!r} is not a state code")
    return code.rstrip(FILLER)


def _lines(lines: tuple[str, str]) -> tuple[str, str]:
    if len(lines) != 2:
        raise MrzError("lines", f"a TD3 MRZ has 2 lines, got {len(lines)}")
    line1, line2 = (line.strip() for line in lines)
    for number, line in ((1, line1), (2, line2)):
        if len(line) != LINE_LENGTH:
            raise MrzError(
                "lines", f"MRZ line {number} must be {LINE_LENGTH} characters, got {len(line)}"
            )
        if not _CHARSET.fullmatch(line):
            bad = sorted({c for c in line if not _CHARSET.fullmatch(c)})
            raise MrzError("lines", f"MRZ line {number} may hold only A-Z, 0-9 and '<', got {bad}")
    if line1[0] != "P":
        raise MrzError("document_code", f"a passport MRZ starts with 'P', got {line1[0]!r}")
    return line1, line2


def parse_td3(lines: tuple[str, str], *, today: date) -> Td3:
    """The fields of a passport MRZ, after every check digit has held.

    `today` settles the centuries: the birth date is the latest date with those
    YYMMDD digits not after today; the expiry date lies within 50 years before to
    49 years after today. Raises `MrzError` naming the first failing part.
    """
    line1, line2 = _lines(lines)
    checks = {label: _verify(line2, label, line2[start:end], end) for label, start, end in _CHECKED}
    composite = "".join(line2[start:end] for start, end in _COMPOSITE_SPANS)
    composite_check = _verify(line2, "composite", composite, 43)
    surname, _, given = line1[5:].partition(FILLER * 2)
    surname = " ".join(word for word in surname.split(FILLER) if word)
    if not surname:
        raise MrzError("surname", "MRZ name field has no surname")
    if any(c.isdigit() for c in line1[5:]):
        raise MrzError("surname", "MRZ name field may hold only letters and fillers")
    sex = line2[20]
    if sex not in "MF<":
        raise MrzError("sex", f"MRZ sex must be 'M', 'F' or '<', got {sex!r}")
    number = line2[0:9].rstrip(FILLER)
    if not number or FILLER in number:
        raise MrzError("passport_number", f"MRZ passport number {line2[0:9]!r} is malformed")
    return Td3(
        lines=(line1, line2),
        document_code=line1[0:2].rstrip(FILLER),
        issuing_state=_state(line1[2:5], "issuing_state"),
        surname=surname,
        given_names=" ".join(word for word in given.split(FILLER) if word),
        passport_number=number,
        nationality=_state(line2[10:13], "nationality"),
        date_of_birth=_birth(line2[13:19], today),
        sex="X" if sex == FILLER else "M" if sex == "M" else "F",
        expires_on=_expiry(line2[21:27], today),
        optional_data=line2[28:42].rstrip(FILLER),
        passport_number_check=checks["passport_number"],
        date_of_birth_check=checks["date_of_birth"],
        expires_on_check=checks["expires_on"],
        optional_data_check=checks["optional_data"],
        composite_check=composite_check,
    )


def check_agreement(
    td3: Td3,
    *,
    passport_number: str,
    nationality: str,
    date_of_birth: date,
    expires_on: date,
    surname: str,
    given_names: str,
    sex: str,
) -> list[str]:
    """The typed fields that disagree with the MRZ, by name, in this signature's order.

    Dates agree when their YYMMDD digits do (the MRZ has no century; the typed date
    has). Nationality compares as ISO 3166-1 ("D" agrees with "DEU"). Names agree
    with either ICAO transliteration, and with ICAO truncation when the field is full.
    """
    disagreeing: list[str] = []
    if td3.passport_number != passport_number.strip().upper():
        disagreeing.append("passport_number")
    typed_nationality = nationality.strip().upper()
    if td3.nationality_iso != ICAO_TO_ISO.get(typed_nationality, typed_nationality):
        disagreeing.append("nationality")
    if td3.date_of_birth.strftime("%y%m%d") != date_of_birth.strftime("%y%m%d"):
        disagreeing.append("date_of_birth")
    if td3.expires_on.strftime("%y%m%d") != expires_on.strftime("%y%m%d"):
        disagreeing.append("expires_on")
    if not names.agrees(td3.surname, surname, truncated=td3.name_truncated):
        disagreeing.append("surname")
    if not names.agrees(td3.given_names, given_names, truncated=td3.name_truncated):
        disagreeing.append("given_names")
    if td3.sex != sex.strip().upper():
        disagreeing.append("sex")
    return disagreeing


def build_td3(
    *,
    surname: str,
    given_names: str,
    passport_number: str,
    nationality: str,
    date_of_birth: date,
    expires_on: date,
    sex: Sex,
    issuing_state: str | None = None,
    optional_data: str = "",
    document_code: str = "P",
) -> tuple[str, str]:
    """A valid TD3 zone for these fields, with every check digit (tests and demo data).

    Names are written in ICAO's recommended transliteration and cut at 39 characters.
    Raises `ValueError` for a field that does not fit the format.
    """
    number = passport_number.upper()
    if not re.fullmatch(r"[A-Z0-9]{1,9}", number):
        raise ValueError(f"passport number {passport_number!r} does not fit a TD3 MRZ")
    if not re.fullmatch(r"[A-Z0-9<]{0,14}", optional_data):
        raise ValueError(f"optional data {optional_data!r} does not fit a TD3 MRZ")
    if not re.fullmatch(r"P[A-Z<]?", document_code):
        raise ValueError(f"document code {document_code!r} is not a passport's")
    code = _state(nationality.upper().ljust(3, FILLER), "nationality")
    state = _state((issuing_state or code).upper().ljust(3, FILLER), "issuing_state")
    if not names.mrz_form(surname):
        raise ValueError(f"surname {surname!r} has no letters an MRZ can hold")
    name = names.mrz_form(surname).replace(" ", FILLER)
    if given_names.strip():
        name += FILLER * 2 + names.mrz_form(given_names).replace(" ", FILLER)
    line1 = f"{document_code.ljust(2, FILLER)}{state.ljust(3, FILLER)}{name[:NAME_LENGTH]}"
    body = [
        number.ljust(9, FILLER),
        check_digit(number.ljust(9, FILLER)),
        code.ljust(3, FILLER),
        date_of_birth.strftime("%y%m%d"),
        check_digit(date_of_birth.strftime("%y%m%d")),
        {"X": FILLER}.get(sex, sex),
        expires_on.strftime("%y%m%d"),
        check_digit(expires_on.strftime("%y%m%d")),
        optional_data.ljust(14, FILLER),
        check_digit(optional_data.ljust(14, FILLER)) if optional_data.strip(FILLER) else FILLER,
    ]
    line2 = "".join(body)
    composite = "".join(line2[start:end] for start, end in _COMPOSITE_SPANS)
    return line1.ljust(LINE_LENGTH, FILLER), line2 + check_digit(composite)
