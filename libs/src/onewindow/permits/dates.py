"""Calendar arithmetic in the words the rules use: "6 months", "5 years", "age on a date"."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier, if negative); the 31st falls back to the
    month's last day, so 31 August + 6 months is 28/29 February."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February falls back to 28 February."""
    return add_months(day, 12 * years)


def age_on(date_of_birth: date, day: date) -> int:
    """Completed years of age on `day` (a birthday counts on the day itself)."""
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)
