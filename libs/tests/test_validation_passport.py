"""Passport numbers: 5 to 9 letters or digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.runtime.validation import InvalidPassportNumber, validate_passport_number


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [("E12345678", "E12345678"), ("12345", "12345"), (" l898902c3 ", "L898902C3")],
)
def test_five_to_nine_letters_or_digits_are_a_passport_number(typed: str, normalised: str) -> None:
    assert validate_passport_number(typed) == normalised


@pytest.mark.parametrize(
    "typed", ["1234", "1234567890", "E1234-567", "E 1234567", "É1234567", "１２３４５", ""]
)
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(InvalidPassportNumber, match="5 to 9 letters or digits") as raised:
        validate_passport_number(typed)
    assert raised.value.field == "passport_number"


@given(st.from_regex(r"[A-Za-z0-9]{5,9}", fullmatch=True))
def test_the_normal_form_is_upper_case_and_stable(typed: str) -> None:
    number = validate_passport_number(typed)
    assert number == typed.upper()
    assert validate_passport_number(number) == number


@given(st.text(max_size=12))
def test_whatever_is_accepted_fits_the_mrz(typed: str) -> None:
    try:
        number = validate_passport_number(typed)
    except InvalidPassportNumber:
        return
    assert 5 <= len(number) <= 9
    assert all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" for c in number)
