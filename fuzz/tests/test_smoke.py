"""`python -m fuzz --quick` end to end: schemathesis against the real gateway and every
service as their own processes, on this session's Kafka and database; every operation
fuzzed, no 5xx, no response the OpenAPI does not allow, nothing left running or stored."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from onewindow.devstack.paths import project_root, state_dir
from onewindow.devstack.pytest_plugin import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


@pytest.mark.timeout(400)
def test_a_quick_fuzz_finds_no_server_error_and_no_schema_violation(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    output = tmp_path / "fuzz.json"
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
        "MONGODB_URL": infrastructure.mongodb_url,
    }
    ran = subprocess.run(
        [sys.executable, "-m", "fuzz", "--quick", "--seed=14", f"--output={output}"],
        cwd=project_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=380,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-3000:]
    result: dict[str, Any] = json.loads(output.read_text())
    summary = result["summary"]

    assert summary["responses_5xx"] == 0, result["failures"]
    assert summary["schema_failures"] == 0, result["failures"]
    assert summary["transport_errors"] == 0, result["transport_errors"]
    assert summary["requests"] >= 100
    # Every operation of the OpenAPI was sent something, statelessly and in sequences.
    assert summary["operations"] == result["run"]["operations_in_schema"] >= 25
    assert summary["by_phase"]["stateful"] > 0
    assert summary["by_phase"]["stateless-negative"] > 0
    assert set(summary["stateful_sequences"]) == {"cases", "registry"}
    # Every role with its valid token, and callers without one.
    assert set(summary["by_caller"]) >= {"applicant", "clerk", "officer", "operator"}
    assert {"200", "401", "403", "404", "422"} <= set(summary["statuses"])
    # Progress while it ran, and the summary at its end.
    assert f"[1/{result['run']['operations_in_schema']}]" in ran.stdout
    assert "5xx responses: 0; responses breaking the OpenAPI: 0" in ran.stdout

    # Nothing of the run is left: its processes stopped, its topics and data removed.
    namespace = result["run"]["namespace"]
    assert not [p for p in (state_dir() / "pids").iterdir() if p.name.startswith(namespace)]
    topics = asyncio.run(_topics(infrastructure.kafka_bootstrap))
    assert not [t for t in topics if t.startswith(namespace)]
