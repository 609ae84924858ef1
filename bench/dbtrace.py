"""Run a service module with a PyMongo command listener that times every database command.

    python -m bench.dbtrace onewindow.work_permit   (BENCH_DBTRACE_FILE names the output)

py-spy shows where a service spends CPU; a service that mostly awaits its database
shows little there. This shim answers the other half: which commands it sends, how
many, and how long the server takes for each, grouped by command, collection and
the fields it filters on (`find commits by stream`). It registers a global listener
(PyMongo's public monitoring API) before the service builds its client, runs the
service's module as `__main__` exactly as `python -m` would, and writes the totals
as JSON when the process exits (on SIGTERM or SIGINT, after uvicorn's graceful shutdown).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from pymongo import monitoring

ENV = "BENCH_DBTRACE_FILE"


def shape(command_name: str, command: dict[str, Any]) -> str:
    """`<command> <collection> by <filter fields>`: what a command does, without its values."""
    collection = command.get(command_name)
    target = collection if isinstance(collection, str) else ""
    query: Any = None
    if command_name in ("find", "count", "distinct"):
        query = command.get("filter", command.get("query"))
    elif command_name == "findAndModify":
        query = command.get("query")
    elif command_name in ("update", "delete"):
        statements = command.get("updates") or command.get("deletes") or [{}]
        query = statements[0].get("q")
    elif command_name == "aggregate":
        stages = [next(iter(stage)) for stage in command.get("pipeline", []) if stage]
        return f"aggregate {target} [{', '.join(stages)}]"
    if query is None:
        return f"{command_name} {target}".strip()
    fields = ",".join(sorted(query)) if isinstance(query, dict) and query else "nothing"
    return f"{command_name} {target} by {fields}"


class Timings(monitoring.CommandListener):
    """Count and total server time per command shape (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[tuple[Any, int], str] = {}
        self.totals: dict[str, list[float]] = {}  # shape -> [count, total ms, max ms]

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("hello", "isMaster", "ping", "endSessions", "buildInfo"):
            return
        key = (event.connection_id, event.request_id)
        with self._lock:
            self._started[key] = shape(event.command_name, dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finish(event.connection_id, event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._finish(event.connection_id, event.request_id, event.duration_micros)

    def _finish(self, connection: Any, request_id: int, micros: int) -> None:
        with self._lock:
            name = self._started.pop((connection, request_id), None)
            if name is None:
                return
            row = self.totals.setdefault(name, [0, 0.0, 0.0])
            row[0] += 1
            row[1] += micros / 1000
            row[2] = max(row[2], micros / 1000)

    def dump(self, path: Path) -> None:
        with self._lock:
            rows = {
                name: {"count": int(n), "total_ms": total, "mean_ms": total / n, "max_ms": top}
                for name, (n, total, top) in self.totals.items()
            }
        path.write_text(json.dumps(rows, indent=1))


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m bench.dbtrace <service module> [args…]")
    module, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
    timings = Timings()
    monitoring.register(timings)
    if target := os.environ.get(ENV):
        atexit.register(timings.dump, Path(target))
    # uvicorn restores this handler after its graceful shutdown and raises the signal
    # again; exiting through SystemExit (not the default kill) lets atexit write the file.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
