"""`python -m chaos.report [FILE]`: the README's table of a chaos run's figures
(default `chaos/results/latest.json`), as Markdown."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from onewindow.devstack.paths import project_root

ROWS = (
    ("applications submitted · accepted · final · approved", "flow"),
    ("lost (accepted, never final)", "lost"),
    ("duplicate permit numbers", "duplicate_permit_numbers"),
    ("cases with exactly one valid permit", "one_valid_permit"),
    ("stuck (open cases after the run)", "stuck"),
    ("notices sent twice", "notices_sent_twice"),
    ("dead letters (besides R5's poison)", "dead_letters"),
    ("refusals · compensations", "compensation"),
    ("decisions/s steady → during faults (ratio)", "throughput"),
    (
        "recovery p50 · p99 (kill → every partition of the victim's service moving again)",
        "recovery",
    ),
    ("faults injected", "faults"),
)


def cell(result: dict[str, Any], key: str) -> str:
    if key == "flow":
        return " · ".join(str(result[k]) for k in ("submitted", "accepted", "final", "approved"))
    if key == "compensation":
        return f"{result['refused']} · {result['compensations']}"
    if key == "throughput":
        steady, during = result["steady_per_s"], result["during_faults_per_s"]
        return f"{steady} → {during} ({result['throughput_ratio']})"
    if key == "recovery":
        found = result.get("recovery") or result.get("decided_again_after_infra")
        if not found or not found.get("n"):
            return "—"
        return f"{found['p50_s']} s · {found['p99_s']} s (n={found['n']})"
    if key == "faults":
        kinds: dict[str, int] = {}
        for fault in result["faults"]:
            kinds[fault["kind"]] = kinds.get(fault["kind"], 0) + 1
        return ", ".join(f"{n} {k}" for k, n in kinds.items()) or "—"
    return str(result.get(key, "—"))


def table(run: dict[str, Any]) -> str:
    names = list(run["scenarios"])
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, key in ROWS:
        cells = [cell(run["scenarios"][n], key) for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else project_root() / "chaos/results/latest.json"
    print(table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
