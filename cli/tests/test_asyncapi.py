"""The committed AsyncAPI document is generated from the services' brokers and is current."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from onewindow.cli.asyncapi import generate
from onewindow.contracts.asyncapi import DOCUMENT_PATH, committed_document, render
from onewindow.contracts.catalog import MESSAGES, TOPIC_OF
from onewindow.contracts.topics import REGISTRY


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return generate()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolves(document: dict[str, Any], ref: str) -> bool:
    target: Any = document
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(target, dict) or part not in target:
            return False
        target = target[part]
    return True


def test_the_committed_document_is_current(document: dict[str, Any]) -> None:
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render(document), (
        "contracts/asyncapi/asyncapi.json is stale: run `make asyncapi`"
    )


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    broken = [ref for ref in _refs(document) if not _resolves(document, ref)]
    assert broken == []


def test_every_topic_carries_the_schema_of_each_of_its_messages(document: dict[str, Any]) -> None:
    channels = document["channels"]
    assert set(channels) == {name for t in REGISTRY for name in (t.name, t.dlq)}
    for ce_type, topic in TOPIC_OF.items():
        name = ce_type.split(".")[-2]
        assert channels[topic.name]["messages"][name] == {
            "$ref": f"#/components/messages/{ce_type}"
        }
        payload = document["components"]["schemas"][ce_type]
        assert set(payload["properties"]) == set(MESSAGES[ce_type].model_fields)
    headers = document["components"]["schemas"]["CloudEventsHeaders"]
    assert {"ce_id", "ce_type", "ce_correlationid", "ce_causationid"} <= set(headers["properties"])


def test_who_consumes_what_comes_from_the_services_brokers(document: dict[str, Any]) -> None:
    receives = {
        key: op["bindings"]["kafka"]["groupId"]["enum"][0]
        for key, op in document["operations"].items()
        if op["action"] == "receive"
    }
    assert receives == {
        "identity.receive.identity.commands": "identity",
        "work-permit.receive.work-permit.commands": "work-permit",
        "residence-permit.receive.residence-permit.commands": "residence-permit",
        "notifications.receive.applications.events": "notifications",
        "applications.receive.applications.commands": "applications",
        "applications.receive.identity.events": "applications",
        "applications.receive.work-permit.events": "applications",
        "applications.receive.residence-permit.events": "applications",
        "gateway.receive.applications.events": "gateway-readmodel",
    }
    sends = {key for key, op in document["operations"].items() if op["action"] == "send"}
    assert "gateway.send.applications.commands" in sends
    assert "identity.send.identity.commands.dlq" in sends


def test_generating_it_needs_no_network() -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail("this check runs the generator in a network namespace: it needs root")
    result = subprocess.run(
        ["unshare", "--net", sys.executable, "-m", "onewindow.cli.asyncapi", "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "is current" in result.stdout
    assert committed_document()["asyncapi"] == "3.0.0"
