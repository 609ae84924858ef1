"""Background processes of the local stack, tracked by pid file.

Each process runs in its own session, so stopping it signals its whole process
group and nothing that this stack did not start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from onewindow.devstack.paths import state_dir


@dataclass(frozen=True)
class Managed:
    """A process of the stack: its name, command line and log file.

    `stop_signal` asks it to stop (PostgreSQL shuts down fast on SIGINT; SIGTERM
    would wait for every client to leave).
    """

    name: str
    stop_signal: signal.Signals = signal.SIGTERM

    @property
    def pid_file(self) -> Path:
        folder = state_dir() / "pids"
        folder.mkdir(exist_ok=True)
        return folder / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        folder = state_dir() / "logs"
        folder.mkdir(exist_ok=True)
        return folder / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of the running process, or None when it is not running."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if not _alive(pid):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def start(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
    ) -> int:
        """Start the process unless it already runs (as `user` if given); return its pid."""
        if (pid := self.pid()) is not None:
            return pid
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
                user=user,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def stop(self, timeout: float = 15.0) -> bool:
        """Signal the process group to stop, SIGKILL it after `timeout`; True if it ran."""
        pid = self.pid()
        if pid is None:
            return False
        _signal_group(pid, self.stop_signal)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> bool:
        """SIGKILL the process group at once (a crash, not a stop); True if it ran."""
        pid = self.pid()
        if pid is None:
            return False
        _signal_group(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child has exited; reap it if it is ours.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    if stat.rsplit(")", 1)[1].split()[0] == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True
