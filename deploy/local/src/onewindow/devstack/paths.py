"""Where the project and its ignored state folder are."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

MARKER = Path("deploy/local/kafka/pom.xml")


def project_root() -> Path:
    """The checkout this code runs from: `ONEWINDOW_HOME`, else the nearest parent
    of the working directory (or of this file) that holds `deploy/local`."""
    if home := os.environ.get("ONEWINDOW_HOME"):
        return Path(home).resolve()
    for start in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (start, *start.parents):
            if (candidate / MARKER).is_file():
                return candidate
    raise RuntimeError("cannot find the One Window checkout; set ONEWINDOW_HOME")


def state_dir() -> Path:
    """The ignored folder holding jars, binaries, data, pids and logs."""
    path = Path(os.environ.get("ONEWINDOW_STATE_DIR", project_root() / ".state"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def git_commit() -> str:
    """The checkout's commit, `+dirty` when tracked files have changed (what a result
    file records beside its figures)."""

    def git(*argv: str) -> str:
        return subprocess.run(
            ["git", *argv], cwd=project_root(), capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
