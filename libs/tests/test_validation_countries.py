"""Nationalities are ISO 3166-1 alpha-3 codes, from the packaged data file."""

from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.runtime.validation import UnknownCountry, is_country, validate_country
from onewindow.runtime.validation.countries import country_names


@pytest.mark.parametrize("code", ["CHN", "DEU", "FRA", "GBR", "USA", "HKG", "MAC", "TWN", "ZWE"])
def test_officially_assigned_codes_are_countries(code: str) -> None:
    assert is_country(code)


@pytest.mark.parametrize(
    "code",
    [
        "D",  # ICAO's code for Germany in an MRZ, not ISO 3166-1
        "GER",  # the IOC's code
        "UTO",  # ICAO's fictitious specimen state
        "XXA",  # ICAO's stateless person
        "chn",  # codes are upper case
        "CN",  # alpha-2
        "",
    ],
)
def test_other_codes_are_not_countries(code: str) -> None:
    assert not is_country(code)


def test_the_data_file_holds_all_249_assigned_codes_and_cites_its_source() -> None:
    text = (resources.files("onewindow.runtime") / "data" / "iso3166-alpha3.txt").read_text(
        encoding="utf-8"
    )
    assert text.splitlines()[0].startswith("# ISO 3166-1 alpha-3")
    assert len(country_names()) == 249
    assert country_names()["CHN"] == "China"


def test_a_typed_nationality_is_normalised() -> None:
    assert validate_country(" chn ") == "CHN"


def test_an_unknown_nationality_is_refused_naming_the_field() -> None:
    with pytest.raises(UnknownCountry, match="ISO 3166-1 alpha-3") as raised:
        validate_country("GER")
    assert raised.value.field == "nationality"


@given(st.text(max_size=4))
def test_only_three_upper_case_letters_can_be_countries(code: str) -> None:
    if is_country(code):
        assert len(code) == 3
        assert code.isascii()
        assert code.isupper()
