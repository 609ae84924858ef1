"""Passport reading (`POST /v1/passport-readings`): the two lines of a TD3 machine readable
zone, as an OCR engine saw them or as someone typed them, made into the fields they encode
once every check digit holds (`onewindow.runtime.validation.parse_td3`).

OCR drops or doubles what it cannot tell apart in a run of fillers: the name field's
trailing `<` are restored up to the line's 44 characters (they carry nothing and no check
digit covers them). On a line read off an image, a letter where ICAO 9303 allows only a
digit (the dates and every check digit of the second line) is read as the digit it is most
often mistaken for (`O`/`Q`/`D` → `0`, `I`/`L` → `1`, `Z` → `2`, `S` → `5`, `G` → `6`,
`B` → `8`); the check digits still decide, so a wrong guess fails its check as before.
Typed lines are never changed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from onewindow.runtime.validation import MrzError, parse_td3

LINE = 44
FILLER = "<"


# ICAO 9303 part 4, TD3 line 2: the positions (0-based) that hold only digits: the passport
# number's check digit, the birth date and its check, the expiry and its check, the
# optional data's check (or a filler) and the composite check.
DIGITS_ONLY = frozenset([9, *range(13, 20), *range(21, 28), 42, 43])
LOOKALIKES = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6", "B": "8"}
)


class NoMrzFound(Exception):
    """No machine readable zone could be read on the image (blurred, cropped, not a passport)."""


def lines_of(text: str) -> tuple[str, str]:
    """The last two lines of `text` that look like MRZ lines, normalised: upper case, no
    spaces, `«` read as `<`, the first line's trailing fillers restored to 44 characters.

    Raises `NoMrzFound` when fewer than two such lines are there.
    """
    found = [
        "".join(line.split()).upper().replace("«", FILLER)
        for line in text.splitlines()
        if len("".join(line.split())) >= 30
    ]
    if len(found) < 2:
        raise NoMrzFound("no two MRZ lines were found")
    first, second = found[-2], found[-1]
    if len(first) < LINE and first.startswith("P"):
        first = first + FILLER * (LINE - len(first))
    return first, second


def ocr_repaired(lines: tuple[str, str]) -> tuple[str, str]:
    """The lines with each letter in a digits-only position of line 2 read as its digit."""
    first, second = lines
    repaired = "".join(
        char.translate(LOOKALIKES) if index in DIGITS_ONLY else char
        for index, char in enumerate(second)
    )
    return first, repaired


def reading(lines: tuple[str, str], today: date, source: str) -> dict[str, Any]:
    """The answer for two MRZ lines whose check digits hold; raises `MrzError` naming the
    first part that fails (a check digit, a malformed field)."""
    td3 = parse_td3(lines, today=today)
    return {
        "source": source,
        "mrz": list(td3.lines),
        "fields": {
            "document_code": td3.document_code,
            "issuing_state": td3.issuing_state,
            "surname": td3.surname,
            "given_names": td3.given_names,
            "passport_number": td3.passport_number,
            "nationality": td3.nationality,
            "date_of_birth": td3.date_of_birth.isoformat(),
            "sex": td3.sex,
            "expires_on": td3.expires_on.isoformat(),
            "optional_data": td3.optional_data,
        },
        "checks": "every check digit holds",
    }


__all__ = ["FILLER", "LINE", "MrzError", "NoMrzFound", "lines_of", "ocr_repaired", "reading"]
