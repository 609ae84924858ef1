"""A supervisor for the local stack's service processes, as systemd or Kubernetes would be:
each child that exits, however it exits, is started again after a backoff, and says so.

    python -m onewindow.devstack.supervisor run PLAN.json

A `Plan` names the children (command line, environment, readiness URL) and the backoff.
The supervisor writes each child's pid file and log as `Managed` would (so `make status`,
`make stop` and the tests find them), appends one line to the child's log and one to its
own when it restarts one, and keeps `Plan.state_file` up to date: per child its pid,
restart count, last exit and state. SIGTERM stops it: every child gets SIGTERM (a graceful
stop), SIGKILL after `stop_timeout_s`, then the supervisor exits.

A file `<name>.hold` beside the state file holds that child's restart while it exists
(an operator's or a test's way to keep one process down on purpose).

Backoff: the first restart waits `backoff_base_s`, each quick failure after it twice as
long up to `backoff_cap_s`; a child that ran `stable_after_s` starts the count again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onewindow.devstack.processes import Managed

POLL_S = 0.1


@dataclass(frozen=True)
class Child:
    """A process to keep running: its `Managed` name, command line, environment (added to
    the supervisor's own), the URL whose `/readyz` says it is ready, and the address
    its users reach it at (`make status` shows it; by default that URL)."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    address: str | None = None

    @property
    def managed(self) -> Managed:
        return Managed(self.name)


@dataclass(frozen=True)
class Plan:
    """What one supervisor keeps running, and how patiently."""

    name: str
    children: list[Child]
    state_file: str
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    stable_after_s: float = 60.0
    stop_timeout_s: float = 15.0

    @property
    def managed(self) -> Managed:
        """The supervisor's own process."""
        return Managed(self.name)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> Plan:
        raw = json.loads(path.read_text())
        raw["children"] = [Child(**child) for child in raw["children"]]
        return cls(**raw)

    def start(self, plan_file: Path) -> int:
        """Save the plan and start its supervisor (unless it runs); return its pid."""
        self.save(plan_file)
        Path(self.state_file).unlink(missing_ok=True)
        return self.managed.start(
            [sys.executable, "-m", "onewindow.devstack.supervisor", "run", str(plan_file)]
        )

    def stop(self) -> bool:
        """Stop the supervisor and, through it, every child; True if it ran."""
        return self.managed.stop(timeout=self.stop_timeout_s + 10)

    def hold_file(self, child: Child) -> Path:
        """While this file exists, `child` is not restarted."""
        return Path(self.state_file).with_name(f"{child.name}.hold")

    def state(self) -> dict[str, dict[str, Any]]:
        """Each child's state as the supervisor last wrote it ({} before it wrote any)."""
        try:
            return dict(json.loads(Path(self.state_file).read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}


def backoff(quick_failures: int, base_s: float, cap_s: float) -> float:
    """The pause before a restart after `quick_failures` exits in a row that came soon
    after a start (the first restart counts 1)."""
    return float(min(cap_s, base_s * 2 ** max(0, quick_failures - 1)))


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exited with status {code}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class _Running:
    child: Child
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    quick_failures: int = 0
    restart_at: float | None = None
    last_exit: str | None = None
    last_exit_at: str | None = None


class Supervisor:
    """Runs a plan's children until SIGTERM."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.children = [_Running(child) for child in plan.children]
        self.stopping = False

    def say(self, message: str, **fields: Any) -> None:
        line = {"ts": _now(), "logger": "onewindow.devstack.supervisor", "msg": message, **fields}
        print(json.dumps(line), flush=True)

    def _start(self, running: _Running) -> None:
        child = running.child
        with child.managed.log_file.open("ab") as log:
            running.proc = subprocess.Popen(
                child.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **child.env},
                start_new_session=True,
            )
        child.managed.pid_file.write_text(str(running.proc.pid))
        running.started_at = time.monotonic()
        running.restart_at = None

    def _exited(self, running: _Running, code: int) -> None:
        ran_s = time.monotonic() - running.started_at
        running.quick_failures = (
            1 if ran_s >= self.plan.stable_after_s else running.quick_failures + 1
        )
        pause = backoff(running.quick_failures, self.plan.backoff_base_s, self.plan.backoff_cap_s)
        running.proc = None
        running.restarts += 1
        running.restart_at = time.monotonic() + pause
        running.last_exit, running.last_exit_at = describe_exit(code), _now()
        fields = {
            "process": running.child.name,
            "exit": running.last_exit,
            "ran_s": round(ran_s, 1),
            "restart": running.restarts,
            "backoff_s": pause,
        }
        self.say("process ended; restarting it after the backoff", **fields)
        with running.child.managed.log_file.open("a") as log:
            entry = {"ts": _now(), "logger": "onewindow.devstack.supervisor", **fields}
            log.write(json.dumps({**entry, "msg": "supervisor: restarting after the backoff"}))
            log.write("\n")

    def write_state(self) -> None:
        state = {
            r.child.name: {
                "pid": r.proc.pid if r.proc is not None else None,
                "state": "running"
                if r.proc is not None
                else ("backoff" if not self.stopping else "stopped"),
                "restarts": r.restarts,
                "last_exit": r.last_exit,
                "last_exit_at": r.last_exit_at,
                "url": r.child.url,
            }
            for r in self.children
        }
        path = Path(self.plan.state_file)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(path)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop_requested)
        signal.signal(signal.SIGINT, self._stop_requested)
        self.say("supervising", processes=[c.name for c in self.plan.children])
        for running in self.children:
            self._start(running)
        self.write_state()
        while not self.stopping:
            changed = False
            for running in self.children:
                if running.proc is not None and (code := running.proc.poll()) is not None:
                    self._exited(running, code)
                    changed = True
                due = running.restart_at is not None and time.monotonic() >= running.restart_at
                if due and not self.plan.hold_file(running.child).exists():
                    self._start(running)
                    self.say(
                        "process restarted",
                        process=running.child.name,
                        pid=running.proc.pid if running.proc else None,
                    )
                    changed = True
            if changed:
                self.write_state()
            time.sleep(POLL_S)
        self._stop_children()

    def _stop_requested(self, _sig: int, _frame: Any) -> None:
        self.stopping = True

    def _stop_children(self) -> None:
        live = [r for r in self.children if r.proc is not None and r.proc.poll() is None]
        for running in live:
            assert running.proc is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(running.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.plan.stop_timeout_s
        for running in live:
            assert running.proc is not None
            try:
                running.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(running.proc.pid, signal.SIGKILL)
                running.proc.wait()
            self.say(
                "process stopped",
                process=running.child.name,
                exit=describe_exit(running.proc.returncode),
            )
        for running in self.children:
            running.child.managed.pid_file.unlink(missing_ok=True)
            running.proc = None
        self.write_state()
        self.say("supervisor stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["run"])
    parser.add_argument("plan", type=Path)
    args = parser.parse_args(argv)
    Supervisor(Plan.load(args.plan)).run()


if __name__ == "__main__":
    main()
