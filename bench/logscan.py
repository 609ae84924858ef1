"""What the run's processes logged that an operator would be paged for.

Reads the log file of every process the run started (`<state>/logs/<namespace>-*.log`)
and counts the lines that say the database or a handler gave way: FerretDB/SQLite's
`database is locked`, time-outs, retries, and handlers that gave up (dead letters).
"""

from __future__ import annotations

import re
from pathlib import Path

PATTERNS = {
    "sqlite_busy": re.compile(r"SQLITE_BUSY|database is locked"),
    "timeouts": re.compile(r"Timeout|timed out"),
    "retries": re.compile(r"retrying"),
    "retries_exhausted": re.compile(r"failed for good|dead-letter topic"),
}


def scan(folder: Path, namespace: str) -> dict[str, dict[str, int]]:
    """Per pattern, the count of matching lines in each process's log (zeros left out)."""
    found: dict[str, dict[str, int]] = {name: {} for name in PATTERNS}
    for log in sorted(folder.glob(f"{namespace}-*.log")):
        process = log.stem.removeprefix(f"{namespace}-")
        with log.open(errors="replace") as lines:
            for line in lines:
                for name, pattern in PATTERNS.items():
                    if pattern.search(line):
                        found[name][process] = found[name].get(process, 0) + 1
    return found
