"""ICAO 9303 TD3 machine readable zones: check digits, parsing, agreement with typed fields."""

from __future__ import annotations

import string
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.runtime.validation import MrzError, Td3, build_td3, check_agreement, parse_td3
from onewindow.runtime.validation.mrz import check_digit

TODAY = date(2026, 3, 2)
# The specimen of ICAO Doc 9303 Part 4 (Utopia is ICAO's fictitious state).
SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
CHECK_DIGIT_POSITIONS = {9: "passport_number", 19: "date_of_birth", 27: "expires_on"}
CHECK_DIGIT_POSITIONS |= {42: "optional_data", 43: "composite"}

ANNA: dict[str, Any] = {
    "surname": "Eriksson",
    "given_names": "Anna Maria",
    "passport_number": "L898902C3",
    "nationality": "UTO",
    "date_of_birth": date(1974, 8, 12),
    "expires_on": date(2012, 4, 15),
    "sex": "F",
}


def _with(line: str, position: int, char: str) -> str:
    return line[:position] + char + line[position + 1 :]


@pytest.mark.parametrize(
    ("data", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1"), ("<", "0")],
)
def test_check_digits_follow_icao_weights_7_3_1(data: str, digit: str) -> None:
    assert check_digit(data) == digit


def test_the_icao_specimen_parses_into_its_fields() -> None:
    td3 = parse_td3(SPECIMEN, today=date(2010, 1, 1))
    assert td3 == Td3(
        lines=SPECIMEN,
        document_code="P",
        issuing_state="UTO",
        surname="ERIKSSON",
        given_names="ANNA MARIA",
        passport_number="L898902C3",
        nationality="UTO",
        date_of_birth=date(1974, 8, 12),
        sex="F",
        expires_on=date(2012, 4, 15),
        optional_data="ZE184226B",
        passport_number_check="6",
        date_of_birth_check="2",
        expires_on_check="9",
        optional_data_check="1",
        composite_check="0",
    )


def test_the_builder_writes_the_icao_specimen() -> None:
    assert build_td3(**ANNA, optional_data="ZE184226B") == SPECIMEN


@pytest.mark.parametrize(
    ("lines", "part", "words"),
    [
        ((SPECIMEN[0], SPECIMEN[1][:43]), "lines", "line 2 must be 44 characters, got 43"),
        ((SPECIMEN[0].lower(), SPECIMEN[1]), "lines", "only A-Z, 0-9 and '<'"),
        ((SPECIMEN[0],), "lines", "2 lines"),
        (("I" + SPECIMEN[0][1:], SPECIMEN[1]), "document_code", "starts with 'P'"),
        ((SPECIMEN[0], _with(SPECIMEN[1], 9, "5")), "passport_number_check", "position 10"),
        ((SPECIMEN[0], _with(SPECIMEN[1], 19, "3")), "date_of_birth_check", "expected '2'"),
        ((SPECIMEN[0], _with(SPECIMEN[1], 27, "<")), "expires_on_check", "expires on"),
        ((SPECIMEN[0], _with(SPECIMEN[1], 42, "2")), "optional_data_check", "optional data"),
        ((SPECIMEN[0], _with(SPECIMEN[1], 43, "1")), "composite_check", "composite"),
        (("P<UTO" + "<" * 39, SPECIMEN[1]), "surname", "no surname"),
        ((SPECIMEN[0], _with(SPECIMEN[1], 20, "Q")), "sex", "'M', 'F' or '<'"),
        ((SPECIMEN[0][:2] + "U1O" + SPECIMEN[0][5:], SPECIMEN[1]), "issuing_state", "state"),
    ],
)
def test_a_malformed_zone_is_refused_naming_what_fails(
    lines: tuple[str, str], part: str, words: str
) -> None:
    with pytest.raises(MrzError, match=words) as raised:
        parse_td3(lines, today=TODAY)
    assert raised.value.part == part
    assert raised.value.field == "passport.mrz"


def test_a_check_digit_failure_names_the_field_and_both_digits() -> None:
    with pytest.raises(MrzError) as raised:
        parse_td3((SPECIMEN[0], _with(SPECIMEN[1], 9, "5")), today=TODAY)
    assert str(raised.value) == (
        "MRZ check digit of the passport number (line 2, position 10) is '5', expected '6'"
    )


def test_an_unused_optional_field_may_carry_a_filler_or_zero_as_check_digit() -> None:
    lines = build_td3(**ANNA)
    assert lines[1][28:43] == "<" * 15
    zero = (lines[0], lines[1][:42] + "0" + lines[1][43])
    assert parse_td3(lines, today=TODAY).optional_data == ""
    assert parse_td3(zero, today=TODAY).optional_data == ""


def test_birth_is_in_the_past_and_expiry_in_the_window_around_today() -> None:
    young = build_td3(
        **{**ANNA, "date_of_birth": date(2005, 1, 1), "expires_on": date(2034, 6, 30)}
    )
    td3 = parse_td3(young, today=TODAY)
    assert td3.date_of_birth == date(2005, 1, 1)
    assert td3.expires_on == date(2034, 6, 30)
    old = parse_td3(build_td3(**{**ANNA, "date_of_birth": date(1940, 5, 5)}), today=TODAY)
    assert old.date_of_birth == date(1940, 5, 5)
    assert old.expires_on == date(2012, 4, 15)


def test_germany_writes_d_and_agrees_with_deu() -> None:
    lines = build_td3(**{**ANNA, "nationality": "D", "surname": "Müller"})
    assert lines[0][2:5] == "D<<"
    assert lines[0][5:13] == "MUELLER<"
    td3 = parse_td3(lines, today=TODAY)
    assert (td3.nationality, td3.nationality_iso, td3.issuing_state_iso) == ("D", "DEU", "DEU")
    typed = {**ANNA, "nationality": "DEU", "surname": "Müller"}
    assert check_agreement(td3, **typed) == []
    plain = parse_td3(build_td3(**{**ANNA, "nationality": "D", "surname": "Muller"}), today=TODAY)
    assert check_agreement(plain, **typed) == []  # ICAO's other spelling of Ü


def test_an_unspecified_sex_is_x_in_the_form_and_a_filler_in_the_zone() -> None:
    lines = build_td3(**{**ANNA, "sex": "X"})
    assert lines[1][20] == "<"
    td3 = parse_td3(lines, today=TODAY)
    assert td3.sex == "X"
    assert check_agreement(td3, **{**ANNA, "sex": "X"}) == []


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("passport_number", "L898902C4"),
        ("nationality", "SWE"),
        ("date_of_birth", date(1974, 8, 13)),
        ("expires_on", date(2022, 4, 15)),
        ("surname", "Eriksen"),
        ("given_names", "Anna"),
        ("sex", "M"),
    ],
)
def test_a_typed_field_that_differs_from_the_zone_is_named(field: str, typed: object) -> None:
    td3 = parse_td3(SPECIMEN, today=date(2010, 1, 1))
    assert check_agreement(td3, **{**ANNA, field: typed}) == [field]


def test_typed_fields_agree_whatever_their_case_and_punctuation() -> None:
    lines = build_td3(**{**ANNA, "surname": "O'Brien-Smith", "given_names": "José"})
    assert lines[0][5:24] == "OBRIEN<SMITH<<JOSE<"
    td3 = parse_td3(lines, today=TODAY)
    typed = {
        **ANNA,
        "surname": "o'brien-smith",
        "given_names": "Jose",
        "passport_number": "l898902c3",
    }
    assert check_agreement(td3, **typed) == []


def test_names_cut_to_fit_the_zone_still_agree() -> None:
    typed = {
        **ANNA,
        "surname": "Wolfeschlegelsteinhausenbergerdorff",
        "given_names": "Hubert Blaine",
    }
    lines = build_td3(**typed)
    td3 = parse_td3(lines, today=TODAY)
    assert td3.name_truncated
    assert td3.given_names == "HU"
    assert check_agreement(td3, **typed) == []
    assert check_agreement(td3, **{**typed, "given_names": "Hans"}) == ["given_names"]


# --- properties -----------------------------------------------------------------------

words = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=12)
person_names = st.lists(words, min_size=1, max_size=3).map(" ".join)
typed_fields = st.fixed_dictionaries(
    {
        "surname": person_names,
        "given_names": person_names | st.just(""),
        "passport_number": st.from_regex(r"[A-Z0-9]{5,9}", fullmatch=True),
        "nationality": st.sampled_from(["CHN", "DEU", "D", "FRA", "GBR", "USA", "UTO", "BRA"]),
        "date_of_birth": st.dates(TODAY - timedelta(days=99 * 365), TODAY - timedelta(days=1)),
        "expires_on": st.dates(TODAY - timedelta(days=365), TODAY + timedelta(days=3652)),
        "sex": st.sampled_from(["F", "M", "X"]),
    }
)
optional_data = st.from_regex(r"[A-Z0-9]{0,14}", fullmatch=True)
MRZ_CHARS = string.digits + string.ascii_uppercase + "<"


def test_a_surname_that_leaves_no_room_for_given_names_agrees_with_them() -> None:
    # 37 letters and the separator fill the 39 of the name field: ICAO truncation drops
    # the given names, and the typed ones still agree (found by the property below).
    fields: dict[str, Any] = {
        "surname": "AAAAAAAAAAA AAAAAAAAAAAA AAAAAAAAAAAA",
        "given_names": "A",
        "passport_number": "00000",
        "nationality": "CHN",
        "date_of_birth": date(1990, 1, 1),
        "expires_on": date(2030, 1, 1),
        "sex": "F",
    }
    td3 = parse_td3(build_td3(**fields, optional_data=""), today=TODAY)
    assert td3.given_names == ""
    assert td3.name_truncated
    assert check_agreement(td3, **fields) == []
    assert check_agreement(td3, **{**fields, "surname": "B" * 37}) == ["surname"]


@given(typed_fields, optional_data)
def test_every_valid_generated_zone_passes_and_agrees(fields: dict[str, Any], extra: str) -> None:
    td3 = parse_td3(build_td3(**fields, optional_data=extra), today=TODAY)
    assert (td3.date_of_birth, td3.expires_on) == (fields["date_of_birth"], fields["expires_on"])
    assert td3.passport_number == fields["passport_number"]
    assert td3.optional_data == extra
    assert check_agreement(td3, **fields) == []


@given(typed_fields, optional_data, st.data())
def test_every_single_character_corruption_of_a_check_digit_fails(
    fields: dict[str, Any], extra: str, data: st.DataObject
) -> None:
    line1, line2 = build_td3(**fields, optional_data=extra)
    position = data.draw(st.sampled_from(sorted(CHECK_DIGIT_POSITIONS)))
    original = line2[position]
    # An unused optional field's check digit may be '<' or '0': the same value, not a corruption.
    equivalent = {"<", "0"} if position == 42 and not extra else {original}
    char = data.draw(st.sampled_from([c for c in MRZ_CHARS if c not in equivalent]))
    with pytest.raises(MrzError, match="check digit"):
        parse_td3((line1, _with(line2, position, char)), today=TODAY)


@given(typed_fields, st.data())
def test_changing_any_digit_of_a_date_or_number_is_caught(
    fields: dict[str, Any], data: st.DataObject
) -> None:
    line1, line2 = build_td3(**fields)
    digits = [i for i in [*range(9), *range(13, 19), *range(21, 27)] if line2[i].isdigit()]
    position = data.draw(st.sampled_from(digits))
    char = data.draw(st.sampled_from([d for d in string.digits if d != line2[position]]))
    with pytest.raises(MrzError):
        parse_td3((line1, _with(line2, position, char)), today=TODAY)
