"""Clocks: manual time for unit tests, offset time for processes under end-to-end tests."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from onewindow.runtime.clock import (
    FILE_ENV,
    OFFSET_ENV,
    ManualClock,
    OffsetClock,
    SystemClock,
    clock_from_env,
    local_date,
    local_today,
    write_clock_offset,
)

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class FakeTicks:
    """A monotonic counter the test advances, to see when the offset file is re-read."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_the_system_clock_tells_aware_utc_time() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(NOON)
    assert clock.now() == NOON
    clock.advance(timedelta(days=8))
    assert clock.now() == NOON + timedelta(days=8)
    clock.set(datetime(2027, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_a_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        ManualClock(datetime(2026, 3, 2, 12, 0))  # naive on purpose


@pytest.mark.parametrize(
    ("utc", "shanghai_date"),
    [
        (datetime(2026, 9, 30, 15, 59, tzinfo=UTC), date(2026, 9, 30)),
        (datetime(2026, 9, 30, 16, 0, tzinfo=UTC), date(2026, 10, 1)),
    ],
)
def test_today_is_the_date_in_shanghai(utc: datetime, shanghai_date: date) -> None:
    assert local_today(ManualClock(utc)) == shanghai_date


@pytest.mark.parametrize(
    ("moment", "shanghai_date"),
    [
        pytest.param(
            datetime(2027, 3, 1, 15, 59, tzinfo=UTC), date(2027, 3, 1), id="23:59 Shanghai"
        ),
        pytest.param(
            datetime(2027, 3, 1, 16, 1, tzinfo=UTC), date(2027, 3, 2), id="00:01 Shanghai"
        ),
        pytest.param(datetime(2027, 3, 1, 23, 59, tzinfo=UTC), date(2027, 3, 2), id="UTC midnight"),
        pytest.param(
            datetime(2027, 3, 2, 0, 1, tzinfo=timezone(timedelta(hours=8))),
            date(2027, 3, 2),
            id="already in Beijing time",
        ),
    ],
)
def test_the_date_of_an_instant_flips_at_shanghai_midnight(
    moment: datetime, shanghai_date: date
) -> None:
    assert local_date(moment) == shanghai_date


def test_a_naive_instant_has_no_legal_date() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2027, 3, 1, 16, 1))  # naive on purpose


def test_without_settings_the_process_uses_the_system_clock() -> None:
    assert isinstance(clock_from_env({}), SystemClock)
    assert isinstance(clock_from_env({OFFSET_ENV: "0"}), SystemClock)


def test_an_offset_setting_moves_the_process_clock() -> None:
    clock = clock_from_env({OFFSET_ENV: str(8 * 86400)})
    expected = datetime.now(UTC) + timedelta(days=8)
    assert abs(clock.now() - expected) < timedelta(seconds=5)


def test_an_offset_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match=OFFSET_ENV):
        clock_from_env({OFFSET_ENV: "eight days"})


def test_the_offset_file_moves_a_running_clock_within_a_second(tmp_path: Path) -> None:
    path = tmp_path / "clock-offset"
    ticks = FakeTicks()
    clock = OffsetClock(
        timedelta(hours=1), offset_file=path, base=ManualClock(NOON), monotonic=ticks
    )
    assert clock.now() == NOON + timedelta(hours=1)  # no file yet: only the fixed offset

    write_clock_offset(path, timedelta(days=3))
    ticks.value += 0.5
    assert clock.now() == NOON + timedelta(hours=1)  # read less than a second ago
    ticks.value += 0.5
    assert clock.now() == NOON + timedelta(days=3, hours=1)


def test_a_garbled_offset_file_keeps_the_last_good_offset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "clock-offset"
    write_clock_offset(path, timedelta(days=2))
    ticks = FakeTicks()
    clock = OffsetClock(offset_file=path, base=ManualClock(NOON), monotonic=ticks)
    assert clock.now() == NOON + timedelta(days=2)
    path.write_text("two days", encoding="utf-8")
    ticks.value += 1
    with caplog.at_level(logging.WARNING, logger="onewindow.runtime.clock"):
        assert clock.now() == NOON + timedelta(days=2)
    assert "two days" in caplog.text


def test_the_file_setting_builds_a_clock_that_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clock-offset"
    write_clock_offset(path, timedelta(days=-1))
    clock = clock_from_env({FILE_ENV: str(path)})
    assert isinstance(clock, OffsetClock)
    assert clock.offset == timedelta(days=-1)
