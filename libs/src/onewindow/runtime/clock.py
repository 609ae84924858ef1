"""Where time comes from: an injected clock, so tests (and end-to-end runs) can move it.

Every clock answers `now()` with an aware datetime in UTC. Dates that people see
and the law counts (application dates, deadlines, "valid on", ages) are Shanghai
dates: `local_today(clock)` for today, `local_date(moment)` for the date of any other
instant. Never `date.today()` or the `.date()` of a UTC instant: between 00:00 and
08:00 in Shanghai those are still yesterday.

End-to-end tests run every service as its own process; they move time there with
two environment settings read by `clock_from_env`:

- `ONEWINDOW_CLOCK_OFFSET_SECONDS`: a fixed offset added to the system time;
- `ONEWINDOW_CLOCK_FILE`: a file holding a further offset in seconds, re-read at most
  once a second, so a test can move time in processes that are already running
  (write it with `write_clock_offset`, which replaces the file atomically).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFSET_ENV = "ONEWINDOW_CLOCK_OFFSET_SECONDS"
FILE_ENV = "ONEWINDOW_CLOCK_FILE"
# How long a read of the offset file stays fresh; a test waits this long after a move.
FILE_REFRESH_SECONDS = 1.0

_log = logging.getLogger(__name__)


class Clock(Protocol):
    """A source of the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


def local_date(moment: datetime) -> date:
    """The calendar date in Shanghai (Asia/Shanghai) at `moment`, an aware instant.

    Raises `ValueError` for a naive datetime: its date would depend on the machine.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a legal date needs an aware instant, got naive {moment.isoformat()}")
    return moment.astimezone(SHANGHAI).date()


def local_today(clock: Clock) -> date:
    """Today's date in Shanghai (Asia/Shanghai), where the one window stands."""
    return local_date(clock.now())


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a clock needs an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward (or back, with a negative delta) by `delta`."""
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (aware)."""
        self._now = _as_utc(moment)


class OffsetClock:
    """System time plus a fixed offset, plus the offset in `offset_file` if one is given.

    The file holds a number of seconds (a float). A missing file counts as 0; an
    unreadable one keeps the last good value and logs a warning. The file is read at
    most once per `FILE_REFRESH_SECONDS`, measured on `monotonic`.
    """

    def __init__(
        self,
        offset: timedelta = timedelta(0),
        *,
        offset_file: Path | None = None,
        base: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._offset = offset
        self._file = offset_file
        self._base = base or SystemClock()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._file_offset = timedelta(0)
        self._read_at: float | None = None

    @property
    def offset(self) -> timedelta:
        """The total offset now in force (fixed plus file)."""
        return self._offset + self._current_file_offset()

    def now(self) -> datetime:
        return self._base.now() + self.offset

    def _current_file_offset(self) -> timedelta:
        if self._file is None:
            return timedelta(0)
        with self._lock:
            tick = self._monotonic()
            if self._read_at is None or tick - self._read_at >= FILE_REFRESH_SECONDS:
                self._file_offset = self._read_file(self._file, self._file_offset)
                self._read_at = tick
            return self._file_offset

    @staticmethod
    def _read_file(path: Path, last: timedelta) -> timedelta:
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return timedelta(0)
        except OSError as error:
            _log.warning("clock offset file %s unreadable (%s); keeping %s", path, error, last)
            return last
        try:
            return timedelta(seconds=float(text or "0"))
        except ValueError:
            _log.warning("clock offset file %s holds %r, not seconds; keeping %s", path, text, last)
            return last


def clock_from_env(env: Mapping[str, str] = os.environ) -> Clock:
    """The clock this process should use: `SystemClock` unless an offset is configured.

    Raises `ValueError` if `ONEWINDOW_CLOCK_OFFSET_SECONDS` is not a number.
    """
    raw = env.get(OFFSET_ENV, "").strip()
    try:
        seconds = float(raw) if raw else 0.0
    except ValueError:
        raise ValueError(f"{OFFSET_ENV} must be a number of seconds, got {raw!r}") from None
    path = env.get(FILE_ENV, "").strip()
    if seconds == 0.0 and not path:
        return SystemClock()
    return OffsetClock(timedelta(seconds=seconds), offset_file=Path(path) if path else None)


def write_clock_offset(path: Path, offset: timedelta) -> None:
    """Set the offset that processes started with `ONEWINDOW_CLOCK_FILE=path` apply.

    The file is replaced atomically, so a reader never sees half a number. Running
    processes pick the new offset up within `FILE_REFRESH_SECONDS`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"{offset.total_seconds()!r}\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
