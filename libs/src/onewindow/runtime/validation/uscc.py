"""Employers: the Unified Social Credit Code of GB 32100-2015 (统一社会信用代码).

18 characters from the 31 of the standard's code set (digits and upper-case letters
without I, O, S, V, Z): registration authority (1), entity type (2), administrative
division (3–8, digits), organisation code (9–17), check character (18). The check
character is computed as the standard prescribes by `stdnum.cn.uscc`.
"""

from __future__ import annotations

import re

from stdnum.cn import uscc as stdnum_uscc

from onewindow.runtime.validation.errors import InvalidInput

CODE_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class InvalidUscc(InvalidInput):
    """Not a well-formed USCC, or its check character does not hold."""


def _normalise(value: str) -> str:
    # Codes are often copied from licences with spaces or hyphens between groups.
    # Upper-casing only ASCII keeps letters like "ﬀ" from turning into code characters.
    return "".join(c.upper() if c.isascii() else c for c in re.sub(r"[\s-]", "", value))


def _check_shape(code: str, field: str, *, length: int) -> None:
    if len(code) != length:
        what = "USCC" if length == 18 else f"the first {length} characters of a USCC"
        raise InvalidUscc(field, f"{what} must be {length} characters, got {len(code)}")
    bad = sorted({c for c in code if c not in CODE_SET})
    if bad:
        raise InvalidUscc(
            field,
            f"USCC may contain only digits and the letters A-Y without I, O, S, V (got {bad})",
        )
    if not code[2:8].isdigit():
        raise InvalidUscc(
            field, "USCC characters 3 to 8 (administrative division code) must be digits"
        )


def validate_uscc(value: str, field: str = "employer.uscc") -> str:
    """The code without spaces or hyphens, in upper case, if it is a valid USCC.

    Raises `InvalidUscc` saying which rule fails: length, character set, division
    code, or check character (with the expected one).
    """
    code = _normalise(value)
    _check_shape(code, field, length=18)
    expected = str(stdnum_uscc.calc_check_digit(code[:17]))
    if code[17] != expected:
        raise InvalidUscc(
            field, f"USCC check character is {code[17]!r}, expected {expected!r} (GB 32100-2015)"
        )
    return code


def make_uscc(prefix17: str) -> str:
    """The full code for its first 17 characters: appends the check character.

    Raises `InvalidUscc` if the prefix is malformed. For tests and demo data.
    """
    prefix = _normalise(prefix17)
    _check_shape(prefix, "uscc", length=17)
    return prefix + str(stdnum_uscc.calc_check_digit(prefix))
