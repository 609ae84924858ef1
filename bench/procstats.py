"""CPU time and memory of processes, read from Linux's /proc (no psutil).

`/proc/<pid>/stat` gives user and system time in clock ticks (fields 14 and 15,
counted after the command name, which may itself hold spaces and parentheses);
`/proc/<pid>/status` gives the resident set now (`VmRSS`) and its peak since the
process started (`VmHWM`), in kB. A process may hold resident memory from before
the run (Kafka, FerretDB), so the bench also keeps the peak of `VmRSS` that it saw
while sampling during the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_cpu_seconds(stat: str, ticks_per_s: int = CLOCK_TICKS) -> float:
    """User plus system CPU seconds from the text of `/proc/<pid>/stat`."""
    after_name = stat.rsplit(")", 1)[1].split()
    # after_name[0] is field 3 (state): utime is field 14, stime field 15.
    utime, stime = int(after_name[11]), int(after_name[12])
    return (utime + stime) / ticks_per_s


def parse_memory_kib(status: str) -> dict[str, int]:
    """`VmRSS` and `VmHWM` (kB) from the text of `/proc/<pid>/status`; absent ones omitted."""
    found: dict[str, int] = {}
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def parse_children_cpu_seconds(stat: str, ticks_per_s: int = CLOCK_TICKS) -> float:
    """CPU seconds of the process's children that exited and were waited for (cutime,
    cstime: fields 16 and 17)."""
    after_name = stat.rsplit(")", 1)[1].split()
    return (int(after_name[13]) + int(after_name[14])) / ticks_per_s


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int, *, tree: bool = False) -> float | None:
    """The process's CPU seconds so far, or None once it is gone; with `tree`, those of
    all its descendants too (PostgreSQL runs a process per connection)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        total = parse_cpu_seconds(stat)
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None
    if tree:
        total += parse_children_cpu_seconds(stat)
        for child in _children(pid):
            total += cpu_seconds(child, tree=True) or 0.0
    return total


# Processes measured with their descendants: PostgreSQL's backends do its work.
TREES = frozenset({"postgres"})


def memory_kib(pid: int) -> dict[str, int]:
    try:
        return parse_memory_kib(Path(f"/proc/{pid}/status").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return {}


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (from /proc/stat), to tell how much
    of the machine the run's own processes had."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class Usage:
    """CPU seconds per process over an interval, and the peak resident memory seen in it."""

    cpu_s: dict[str, float] = field(default_factory=dict)
    peak_rss_kib: dict[str, int] = field(default_factory=dict)
    hwm_kib: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    machine_busy_s: float = 0.0


class Sampler:
    """Measures the processes `pids` between `start()` and `stop()`, sampling memory."""

    def __init__(self, pids: Mapping[str, int], every_s: float = 0.5) -> None:
        self.pids = dict(pids)
        self.every_s = every_s
        self._cpu0: dict[str, float] = {}
        self._peak: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._t0 = 0.0
        self._busy0 = 0.0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._t0, self._busy0 = loop.time(), machine_busy_seconds()
        self._cpu0 = {
            n: c for n, p in self.pids.items() if (c := cpu_seconds(p, tree=n in TREES)) is not None
        }
        self._peak = {}
        self._sample()
        self._task = asyncio.create_task(self._run())

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            rss = memory_kib(pid).get("VmRSS")
            if rss is not None:
                self._peak[name] = max(rss, self._peak.get(name, 0))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            self._sample()

    async def stop(self) -> Usage:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sample()
        usage = Usage(
            wall_s=asyncio.get_running_loop().time() - self._t0,
            machine_busy_s=machine_busy_seconds() - self._busy0,
        )
        for name, pid in self.pids.items():
            now = cpu_seconds(pid, tree=name in TREES)
            if now is not None and name in self._cpu0:
                usage.cpu_s[name] = now - self._cpu0[name]
            if (hwm := memory_kib(pid).get("VmHWM")) is not None:
                usage.hwm_kib[name] = hwm
        usage.peak_rss_kib = dict(self._peak)
        return usage
