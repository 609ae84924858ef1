"""Working days on China's official calendar: statutory deadlines are counted in them.

Weekends and public holidays are off; make-up working days (调休上班) that fall on a
weekend are on. Each year's arrangement is published by the General Office of the
State Council late in the previous year, so the calendar is data:

1. a year listed in the override file (`data/calendar-overrides.json`, or the file
   named by `ONEWINDOW_CALENDAR_FILE`) is described by that file alone;
2. otherwise the `chinese_calendar` package's data (it covers 2004–2026);
3. otherwise Monday–Friday, with a warning logged once per year, because a deadline
   counted without the holidays may fall early.

Counting convention: working days are counted strictly after the start date.
`add_working_days(d, n)` is the n-th working day after `d`, and
`working_days_between(d, e)` counts the working days in the interval (d, e].
So `working_days_between(d, add_working_days(d, n)) == n` for every n >= 0.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
from collections.abc import Mapping
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Literal

import chinese_calendar
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

CALENDAR_FILE_ENV = "ONEWINDOW_CALENDAR_FILE"
_SATURDAY = 5
_ONE_DAY = timedelta(days=1)

_log = logging.getLogger(__name__)

DataSource = Literal["override", "chinese_calendar", "weekdays"]


class CalendarDataError(ValueError):
    """An override file that cannot be read or contradicts itself."""


class YearArrangement(BaseModel):
    """One year's departures from Monday–Friday, as the State Council's notice lists them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


class CalendarOverrides(BaseModel):
    """The override file: versioned data with its source, one entry per year."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    source: str
    years: dict[int, YearArrangement] = {}

    @model_validator(mode="after")
    def _consistent(self) -> CalendarOverrides:
        for year, arrangement in self.years.items():
            stray = sorted(d for d in arrangement.holidays | arrangement.workdays if d.year != year)
            if stray:
                raise ValueError(f"year {year} lists dates of another year: {stray}")
            both = sorted(arrangement.holidays & arrangement.workdays)
            if both:
                raise ValueError(f"year {year} lists dates as holiday and workday: {both}")
        return self


def load_overrides(
    path: Path | None = None, env: Mapping[str, str] = os.environ
) -> CalendarOverrides:
    """Read the override file: `path`, else `ONEWINDOW_CALENDAR_FILE`, else the packaged one.

    Raises `CalendarDataError` naming the file if it is missing or malformed.
    """
    if path is None and env.get(CALENDAR_FILE_ENV, "").strip():
        path = Path(env[CALENDAR_FILE_ENV].strip())
    where = str(path) if path is not None else "the packaged calendar-overrides.json"
    try:
        if path is None:
            packaged = resources.files("onewindow.runtime") / "data" / "calendar-overrides.json"
            text = packaged.read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return CalendarOverrides.model_validate(json.loads(text))
    except (OSError, json.JSONDecodeError, ValidationError) as error:
        raise CalendarDataError(f"calendar override file {where}: {error}") from error


@functools.cache
def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """Which days are working days, and counting in working days."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self._overrides = overrides or CalendarOverrides(source="none")
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    def data_source(self, year: int) -> DataSource:
        """Where this calendar's answers for `year` come from."""
        if year in self._overrides.years:
            return "override"
        if _package_covers(year):
            return "chinese_calendar"
        return "weekdays"

    def is_working_day(self, day: date) -> bool:
        """True if `day` is a working day on the official calendar."""
        source = self.data_source(day.year)
        if source == "override":
            arrangement = self._overrides.years[day.year]
            if day in arrangement.holidays:
                return False
            return day in arrangement.workdays or day.weekday() < _SATURDAY
        if source == "chinese_calendar":
            return bool(chinese_calendar.is_workday(day))
        self._warn_no_data(day.year)
        return day.weekday() < _SATURDAY

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start`; `start` itself when n == 0.

        For n >= 1 the result is always a working day, whether or not `start` is one
        (a case completed on a Saturday is due n working days after that Saturday).
        Raises `ValueError` if n is negative.
        """
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days ({n})")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days in (start, end]; 0 if `end` is not after `start`."""
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def _warn_no_data(self, year: int) -> None:
        with self._lock:
            if year in self._warned:
                return
            self._warned.add(year)
        _log.warning(
            "no official calendar for %d: counting Monday-Friday as working days; "
            "add the year to the calendar override file (%s)",
            year,
            CALENDAR_FILE_ENV,
            extra={"year": year},
        )


@functools.cache
def default_calendar() -> WorkingCalendar:
    """The process-wide calendar, built once from `load_overrides()`."""
    return WorkingCalendar(load_overrides())
