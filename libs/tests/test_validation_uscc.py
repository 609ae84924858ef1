"""GB 32100-2015 Unified Social Credit Codes: shape and check character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.runtime.validation import InvalidUscc, make_uscc, validate_uscc
from onewindow.runtime.validation.uscc import CODE_SET

# The example of python-stdnum's documentation of stdnum.cn.uscc.
VALID = "91110000600037341L"

prefixes = st.tuples(
    st.text(alphabet=CODE_SET, min_size=2, max_size=2),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.text(alphabet=CODE_SET, min_size=9, max_size=9),
).map("".join)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        (VALID, VALID),
        ("91110000600037341l", VALID),
        (" 9111 0000-6000 37341L ", VALID),
    ],
)
def test_a_valid_code_is_accepted_in_its_normal_form(typed: str, normalised: str) -> None:
    assert validate_uscc(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("91110000600037341", "must be 18 characters, got 17"),
        ("91110000600037341LL", "must be 18 characters, got 19"),
        ("91110000600037341I", "without I, O, S, V"),
        ("9111000060003734OL", "without I, O, S, V"),
        ("911A0000600037341L", "characters 3 to 8"),
        ("91110000600037341M", "check character is 'M', expected 'L'"),
    ],
)
def test_a_malformed_code_is_refused_saying_which_rule_fails(typed: str, words: str) -> None:
    with pytest.raises(InvalidUscc, match=words) as raised:
        validate_uscc(typed)
    assert raised.value.field == "employer.uscc"
    assert isinstance(raised.value, ValueError)


def test_make_uscc_appends_the_check_character() -> None:
    assert make_uscc(VALID[:17]) == VALID


def test_make_uscc_refuses_a_short_prefix() -> None:
    with pytest.raises(InvalidUscc, match="first 17 characters"):
        make_uscc(VALID[:16])


@given(prefixes)
def test_every_made_code_is_valid(prefix: str) -> None:
    assert validate_uscc(make_uscc(prefix)) == make_uscc(prefix)


@given(prefixes, st.data())
def test_any_single_character_change_is_caught(prefix: str, data: st.DataObject) -> None:
    code = make_uscc(prefix)
    position = data.draw(st.integers(0, 17))
    char = data.draw(st.sampled_from([c for c in CODE_SET if c != code[position]]))
    with pytest.raises(InvalidUscc):
        validate_uscc(code[:position] + char + code[position + 1 :])


def test_only_ascii_letters_count_as_code_characters() -> None:
    valid = make_uscc("911100006000373FF")
    with pytest.raises(InvalidUscc):
        validate_uscc(valid.replace("FF", "\ufb00"))  # the ligature "ﬀ" upper-cases to "FF"
