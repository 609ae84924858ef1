"""The working-day calendar: China's official calendar, overrides, and the weekday fallback."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.runtime.calendar import (
    CALENDAR_FILE_ENV,
    CalendarDataError,
    CalendarOverrides,
    WorkingCalendar,
    default_calendar,
    load_overrides,
)

# Notice of the General Office of the State Council on the 2026 public holiday
# arrangements (国务院办公厅关于2026年部分节假日安排的通知), 4 November 2025:
# "国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。"
# and "中秋节：9月25日（周五）至27日（周日）放假，共3天。"
NATIONAL_DAY_2026 = [date(2026, 10, day) for day in range(1, 8)]
MAKE_UP_DAYS_2026_NATIONAL_DAY = [date(2026, 9, 20), date(2026, 10, 10)]

calendar = WorkingCalendar()
days = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))
counts = st.integers(min_value=0, max_value=60)


def test_the_package_data_matches_the_state_council_notice_for_national_day_2026() -> None:
    for day in NATIONAL_DAY_2026:
        assert chinese_calendar.get_holiday_detail(day) == (True, "National Day")
    for day in MAKE_UP_DAYS_2026_NATIONAL_DAY:
        assert chinese_calendar.get_holiday_detail(day) == (False, "National Day")


def test_national_day_week_2026_is_off_even_on_weekdays() -> None:
    assert [calendar.is_working_day(d) for d in NATIONAL_DAY_2026] == [False] * 7
    assert calendar.data_source(2026) == "chinese_calendar"


def test_make_up_weekend_days_around_national_day_2026_are_working_days() -> None:
    assert [d.strftime("%a") for d in MAKE_UP_DAYS_2026_NATIONAL_DAY] == ["Sun", "Sat"]
    assert all(calendar.is_working_day(d) for d in MAKE_UP_DAYS_2026_NATIONAL_DAY)
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_mid_autumn_festival_2026_is_off() -> None:
    assert not calendar.is_working_day(date(2026, 9, 25))  # a Friday


def test_seven_working_days_from_the_eve_of_national_day_2026_skip_the_holiday() -> None:
    # Oct 8 (Thu), 9 (Fri), 10 (Sat, make-up), 12, 13, 14, 15.
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert calendar.add_working_days(date(2026, 9, 30), 7) == date(2026, 10, 15)
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 15)) == 7


def test_a_case_completed_on_the_make_up_sunday_counts_from_that_day() -> None:
    # Sep 21-24 are working days, Sep 25-27 the Mid-Autumn Festival.
    assert calendar.add_working_days(date(2026, 9, 20), 5) == date(2026, 9, 28)


def test_2027_falls_back_to_monday_to_friday_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fresh = WorkingCalendar()
    with caplog.at_level(logging.WARNING, logger="onewindow.runtime.calendar"):
        assert fresh.is_working_day(date(2027, 10, 1))  # a Friday; no data for its holiday
        assert not fresh.is_working_day(date(2027, 10, 2))  # a Saturday
        assert fresh.add_working_days(date(2027, 10, 1), 1) == date(2027, 10, 4)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage()
    assert fresh.data_source(2027) == "weekdays"


def test_the_packaged_override_file_loads_and_does_not_invent_2027() -> None:
    overrides = load_overrides(env={})
    assert "State Council" in overrides.source
    assert 2027 not in overrides.years


def _write(path: Path, years: dict[str, dict[str, list[str]]]) -> Path:
    path.write_text(json.dumps({"source": "test notice", "years": years}), encoding="utf-8")
    return path


def test_an_override_file_describes_a_year_without_a_release(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(
        tmp_path / "calendar.json",
        {"2027": {"holidays": ["2027-10-01"], "workdays": ["2027-10-09"]}},
    )
    overridden = WorkingCalendar(load_overrides(env={CALENDAR_FILE_ENV: str(path)}))
    with caplog.at_level(logging.WARNING):
        assert not overridden.is_working_day(date(2027, 10, 1))
        assert overridden.is_working_day(date(2027, 10, 9))  # a Saturday made a working day
        assert overridden.is_working_day(date(2027, 10, 8))
        assert not overridden.is_working_day(date(2027, 10, 10))
    assert overridden.data_source(2027) == "override"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_override_takes_precedence_over_the_package(tmp_path: Path) -> None:
    path = _write(tmp_path / "calendar.json", {"2026": {"workdays": ["2026-10-07"]}})
    overridden = WorkingCalendar(load_overrides(path))
    assert overridden.is_working_day(date(2026, 10, 7))
    assert overridden.is_working_day(date(2026, 10, 1))  # the override lists no holidays


@pytest.mark.parametrize(
    ("years", "complaint"),
    [
        ({"2027": {"holidays": ["2028-01-01"]}}, "another year"),
        ({"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}}, "holiday and workday"),
        ({"2027": {"holiday": ["2027-01-01"]}}, "holiday"),
        ({"2027": {"holidays": ["2027-02-30"]}}, "2027"),
    ],
)
def test_a_malformed_override_file_is_refused_naming_the_file(
    tmp_path: Path, years: dict[str, dict[str, list[str]]], complaint: str
) -> None:
    path = _write(tmp_path / "bad.json", years)
    with pytest.raises(CalendarDataError, match=complaint) as raised:
        load_overrides(path)
    assert str(path) in str(raised.value)


def test_a_missing_override_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarDataError, match=r"missing\.json"):
        load_overrides(tmp_path / "missing.json")


def test_the_default_calendar_is_built_once() -> None:
    assert default_calendar() is default_calendar()


def test_adding_a_negative_number_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(date(2026, 1, 5), -1)


@given(days, counts)
def test_counting_the_days_added_gives_back_their_number(start: date, n: int) -> None:
    assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


@given(days, st.integers(min_value=1, max_value=60))
def test_adding_working_days_lands_on_a_working_day_after_the_start(start: date, n: int) -> None:
    end = calendar.add_working_days(start, n)
    assert end > start
    assert calendar.is_working_day(end)


@given(days, counts)
def test_adding_one_more_working_day_moves_strictly_later(start: date, n: int) -> None:
    assert calendar.add_working_days(start, n + 1) > calendar.add_working_days(start, n)


@given(days, days, counts)
def test_a_later_start_never_gives_an_earlier_due_date(a: date, b: date, n: int) -> None:
    early, late = sorted((a, b))
    assert calendar.add_working_days(early, n) <= calendar.add_working_days(late, n)


@given(days, counts, counts)
def test_adding_in_two_steps_equals_adding_at_once(start: date, m: int, n: int) -> None:
    in_steps = calendar.add_working_days(calendar.add_working_days(start, m), n)
    assert in_steps == calendar.add_working_days(start, m + n)


@given(days, st.integers(0, 120), st.integers(0, 120))
def test_counts_over_adjacent_intervals_add_up(start: date, x: int, y: int) -> None:
    middle, end = start + timedelta(days=x), start + timedelta(days=x + y)
    total = calendar.working_days_between(start, end)
    assert total == calendar.working_days_between(start, middle) + calendar.working_days_between(
        middle, end
    )
    assert calendar.working_days_between(start, middle) <= total


@given(days, days)
def test_no_working_days_are_counted_backwards(a: date, b: date) -> None:
    early, late = sorted((a, b))
    assert calendar.working_days_between(late, early) == 0


def test_an_empty_override_set_is_valid() -> None:
    assert CalendarOverrides(source="none").years == {}
