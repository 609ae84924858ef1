"""Permit numbers and the calendar arithmetic the rules are written in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.permits.dates import add_months, add_years, age_on
from onewindow.permits.numbers import permit_number, series

from .support import Format


def test_a_permit_number_is_its_series_and_a_padded_sequence() -> None:
    assert series(Format("WP", 6), 2026) == "WP-2026"
    assert permit_number(Format("WP", 6), 2026, 123) == "WP-2026-000123"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2026, 8, 31), 6, date(2027, 2, 28), id="the 31st falls back"),
        pytest.param(date(2027, 8, 31), 6, date(2028, 2, 29), id="to the 29th in a leap year"),
        pytest.param(date(2026, 3, 2), -3, date(2025, 12, 2), id="back across a year"),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_the_29th_of_february_falls_back_a_year_later() -> None:
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("day", "age"),
    [
        pytest.param(date(2026, 8, 11), 41, id="the day before the birthday"),
        pytest.param(date(2026, 8, 12), 42, id="the birthday itself counts"),
    ],
)
def test_age_on(day: date, age: int) -> None:
    assert age_on(date(1984, 8, 12), day) == age


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)), st.integers(-600, 600))
def test_adding_months_keeps_the_day_or_the_months_last(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    falls_back_to_the_last_day = moved.day < day.day and (moved + timedelta(days=1)).day == 1
    assert moved.day == day.day or falls_back_to_the_last_day
