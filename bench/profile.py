"""Where each service spends its CPU at maximum load: py-spy, attached from outside.

py-spy samples a running interpreter through ptrace, so the services run exactly as
deployed (no restart, no code or start-up change), and `--nonblocking` keeps it from
pausing them. It writes collapsed stacks (`--format raw`: `frame;frame;… count`, root
first); a frame's *self* samples are those where it is the leaf, its *total* samples
those where it is anywhere on the stack. Idle threads are left out by py-spy, so the
counts are where the CPU went.
"""

from __future__ import annotations

import asyncio
import contextlib
import pkgutil
import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onewindow

TOP = 10
# Samples per second. py-spy costs about 0.03 of a core per process sampled at 50 Hz
# (measured here); 30 Hz keeps the observer's footprint small beside a 2-core system.
RATE_HZ = 30
# py-spy names a file relative to the sys.path entry it came from, and each workspace
# package is its own entry: the project's frames read `(runtime/outbox.py)`,
# `(gateway/readmodel/projection.py)`, … — one prefix per subpackage of `onewindow`.
OWN_CODE = tuple(f"({m.name}/" for m in pkgutil.iter_modules(onewindow.__path__))
# The process's entry frames hold every sample; they say nothing about where time goes.
ENTRY_FRAMES = ("<module> (", "main (", "serve (runtime/host.py)", "service_main (runtime/")
# Leaves where a thread waits rather than runs. py-spy's own idle detection misses the
# event loop's epoll wait when it polls with a short timeout; these are set apart.
IDLE_LEAVES = (
    "select (selectors.py)",
    "EpollSelector.select (selectors.py)",
    "Condition.wait (threading.py)",
    "Event.wait (threading.py)",
    "_worker (concurrent/futures/thread.py)",
)


@dataclass(frozen=True)
class Profile:
    """One process's busy samples: the hottest frames by self and by total samples.

    Shares are of the busy samples (those not waiting in `IDLE_LEAVES`)."""

    samples: int
    busy: int
    self_top: list[tuple[str, float]]  # (frame, share of busy samples)
    own_total_top: list[tuple[str, float]]  # the project's own frames, inclusive


def parse_collapsed(lines: Iterable[str], top: int = TOP) -> Profile:
    """The hottest frames of py-spy's raw output (`a;b;c 12` per line, root first)."""
    leaves: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    samples = busy = 0
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        if frames and frames[0].startswith(("process ", "thread ")):
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += count
        if frames[-1] in IDLE_LEAVES:
            continue
        busy += count
        leaves[frames[-1]] += count
        for frame in set(frames):
            totals[frame] += count
    if busy == 0:
        return Profile(samples, 0, [], [])
    own = [
        (f, n)
        for f, n in totals.most_common()
        if any(p in f for p in OWN_CODE) and not f.startswith(ENTRY_FRAMES)
    ]
    return Profile(
        samples=samples,
        busy=busy,
        self_top=[(f, n / busy) for f, n in leaves.most_common(top)],
        own_total_top=[(f, n / busy) for f, n in own[:top]],
    )


def py_spy() -> str | None:
    """The py-spy binary beside this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


async def record(
    pids: Mapping[str, int], seconds: float, folder: Path, rate_hz: int = RATE_HZ
) -> dict[str, Any]:
    """Sample every process of `pids` for `seconds` at once; per name, its `Profile` as a
    dict, or `{"error": why}` when py-spy could not sample it."""
    binary = py_spy()
    if binary is None:
        return {name: {"error": "py-spy is not installed"} for name in pids}
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before sampling starts
    runs = {}
    for name, pid in pids.items():
        out = folder / f"{name}.txt"
        out.unlink(missing_ok=True)
        argv = [
            binary,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate_hz),
            "--duration",
            str(max(1, round(seconds))),
            "--format",
            "raw",
            "--nolineno",
            "--nonblocking",
            "--output",
            str(out),
        ]
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        runs[name] = (process, out)
    try:
        return await _collect(runs, seconds)
    finally:
        for process, _ in runs.values():
            if process.returncode is None:  # interrupted: py-spy detaches when killed
                with contextlib.suppress(ProcessLookupError):
                    process.kill()


async def _collect(
    runs: dict[str, tuple[asyncio.subprocess.Process, Path]], seconds: float
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, (process, out) in runs.items():
        try:
            said, _ = await asyncio.wait_for(process.communicate(), seconds + 30)
        except TimeoutError:
            found[name] = {"error": "py-spy did not finish"}
            continue
        if process.returncode != 0 or not out.is_file():
            text = said.decode(errors="replace").strip().splitlines()
            found[name] = {"error": (text[-1] if text else f"exit {process.returncode}")}
            continue
        profile = parse_collapsed(out.read_text(errors="replace").splitlines())
        found[name] = {
            "samples": profile.samples,
            "busy_samples": profile.busy,
            "self_top": [{"frame": f, "share": s} for f, s in profile.self_top],
            "own_total_top": [{"frame": f, "share": s} for f, s in profile.own_total_top],
        }
    return found
