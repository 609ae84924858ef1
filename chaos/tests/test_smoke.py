"""`python -m chaos --quick` end to end: a few dozen applications on a stack of its own,
one fault of each kind (a service SIGKILLed, Kafka and the database SIGKILLed and
restarted, handler calls failing on purpose, a rolling SIGTERM, a poison message on each
command topic), every case checked from outside; nothing left running or stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from onewindow.devstack.paths import project_root, state_dir

pytestmark = [pytest.mark.chaos, pytest.mark.e2e, pytest.mark.integration]

SAFE = ("lost", "duplicate_permit_numbers", "one_valid_permit", "stuck", "notices_sent_twice")


@pytest.mark.timeout(900)
def test_a_quick_chaos_run_loses_nothing_and_reports_every_figure(tmp_path: Path) -> None:
    output = tmp_path / "chaos.json"
    ran = subprocess.run(
        [sys.executable, "-m", "chaos", "--quick", f"--output={output}"],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-4000:]
    result = json.loads(output.read_text())
    scenarios = result["scenarios"]
    assert set(scenarios) == {"R1", "R2", "R3", "R4", "R5", "R6"}

    for name, figures in scenarios.items():
        if name == "R2":
            # While Kafka is down the gateway answers 503 (API.md: the bus did not take
            # it), so a few submissions are not accepted; none accepted may be lost.
            assert 0 < figures["accepted"] <= figures["submitted"], (name, figures)
        else:
            assert figures["accepted"] == figures["submitted"] > 0, (name, figures)
        assert figures["final"] == figures["accepted"], (name, figures["lost_ids"])
        assert {k: figures[k] for k in SAFE} == dict.fromkeys(SAFE, 0), (name, figures)
        assert figures["steady_per_s"] is not None, name
        assert figures["dead_letters"] == 0, (name, figures)

    kinds = {f["kind"] for s in scenarios.values() for f in s["faults"]}
    assert kinds >= {"sigkill", "sigterm", "kafka", "database", "poison"}, kinds
    # Every fault was followed by the victim running again.
    for name in ("R1", "R2", "R4", "R6"):
        assert all(f["back_after_s"] is not None for f in scenarios[name]["faults"]), name
    assert sum(scenarios["R3"]["injected_failures"].values()) > 0
    assert scenarios["R3"]["injected_dead_lettered"] == 0
    assert scenarios["R4"]["graceful_exits"] == len(scenarios["R4"]["faults"])
    poison = scenarios["R5"]["faults"]
    assert len(poison) == 4
    for letter in poison:
        assert letter["attempts"] == 5, letter
        assert letter["moved_after_s"] <= 30, letter
    assert scenarios["R5"]["dead_letters_poison"] == 4
    assert scenarios["R6"]["recovery"]["n"] >= 1

    namespace = result["run"]["namespace"]
    assert not [p for p in (state_dir() / "pids").iterdir() if p.name.startswith(namespace)]
    assert not [p for p in (state_dir() / "pids").iterdir() if p.name.endswith(f"{namespace}.pid")]
    assert not (state_dir() / "chaos" / namespace).exists()
