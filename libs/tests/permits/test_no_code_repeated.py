"""What the two permit services share lives in the kernel: no block of six lines is
written again in both (issue 18). The finder is pylint's duplicate-code checker: the
same lines after dropping comments, docstrings, imports and signatures, over every
module of both services (their rule files too).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("services/work-permit/src", "services/residence-permit/src")


def test_no_block_of_six_lines_stands_in_both_permit_services() -> None:
    finder = subprocess.run(
        [
            sys.executable,
            "-m",
            "pylint",
            "--disable=all",
            "--enable=duplicate-code",
            "--min-similarity-lines=6",
            "--score=n",
            *SERVICES,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finder.returncode == 0, f"move the shared code to onewindow.permits:\n{finder.stdout}"
