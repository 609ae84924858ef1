"""`python -m bench` end to end with a handful of applications: it measures every figure
the issue asks for and leaves nothing running or stored behind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from onewindow.devstack import infra
from onewindow.devstack.paths import project_root, state_dir
from onewindow.devstack.pytest_plugin import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

TINY = [
    "--quick",
    "--applications=40",
    "--concurrency=4",
    "--closed-seconds=6",
    "--rates=0.5",
    "--duration=3",
    "--profile-seconds=2",
    "--relay-messages=300",
    "--rtt-rounds=20",
    "--timeout=40",
    "--clerks=3",
]


async def _topics() -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap())
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_a_tiny_run_reports_every_figure_and_cleans_up(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    output = tmp_path / "smoke.json"
    ran = subprocess.run(
        [sys.executable, "-m", "bench", *TINY, f"--output={output}"],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    result = json.loads(output.read_text())

    assert result["run"]["cores"] == os.cpu_count()
    assert result["run"]["git_commit"]
    assert result["run"]["options"]["applications"] == 40
    assert result["run"]["options"]["concurrency"] == 4
    assert "Kafka 4.4" in result["versions"]["kafka"]
    assert result["versions"]["database"]
    assert result["baselines"]["relay"]["messages_per_s"] > 0
    assert result["baselines"]["rtt"]["p50_ms"] > 0
    closed = result["system"]["closed_loop"]
    assert closed["approved"] >= 1, closed
    assert closed["latency_s"]["p99"] >= closed["latency_s"]["p50"] > 0
    assert result["system"]["open_loop"][0]["fraction"] == 0.5
    assert result["flow"]["messages"]["per_application"] >= 10  # one case fans out
    assert result["flow"]["critical_path"]["hops"] >= 5
    assert result["derived"]["fan_out_efficiency"] > 0
    assert result["processes"]["per_process"]["gateway"]["peak_rss_mib"] > 0
    assert "ferretdb" in result["processes"]["per_process"]
    assert "postgres" in result["processes"]["per_process"]
    # The database baseline measures the stack's backend beside the one it replaced.
    assert result["baselines"]["database"]["backend"] == "PostgreSQL"
    assert result["baselines"]["database_sqlite"]["backend"] == "SQLite"
    assert result["baselines"]["database_sqlite"]["operations_per_s"] > 0
    # Clerks wrote the registry while applications flowed, and none got a server error.
    clerks = result["system"]["clerks"]
    assert clerks["writes"] > 0
    assert clerks["server_errors"] == 0, clerks
    assert set(result["logs"]) == {"sqlite_busy", "timeouts", "retries", "retries_exhausted"}
    assert result["database"]["commands"]["applications"]  # the command trace was written
    assert set(result["profile"]["per_service"]) >= {"gateway", "applications"}
    assert "Raw broker" in ran.stdout

    namespace = result["run"]["namespace"]
    assert not [p for p in (state_dir() / "pids").iterdir() if p.name.startswith(namespace)]
    assert not [t for t in asyncio.run(_topics()) if t.startswith(namespace + ".")]
