"""`onewindow ops tail`, `case` and `stuck` against the running system, with seeded cases."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from onewindow.cli.seeding import Gateway, Person
from onewindow.devstack.pytest_plugin import RunningServices
from onewindow.runtime.mongo import make_client

from .support import ops, ops_async

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(scope="module")
async def gateway(services: RunningServices) -> AsyncIterator[Gateway]:
    client = Gateway(services.gateway)
    yield client
    await client.close()


@pytest.fixture(scope="module")
async def approved(gateway: Gateway) -> dict[str, Any]:
    """A case that went all the way: both permits issued."""
    anna = Person()
    await gateway.register(anna)
    application_id = await gateway.submit_case(anna)
    return await gateway.wait_for(None, application_id, {"approved"})


@pytest.fixture(scope="module")
async def waiting_for_officer(gateway: Gateway) -> str:
    """A watch-listed applicant's case: it waits for an officer and does not move."""
    carl = Person()
    await gateway.register(carl)
    await gateway.watchlist(carl)
    application_id = await gateway.submit_case(carl)
    await gateway.wait_for(None, application_id, {"awaiting_officer"})
    return application_id


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip("│├└─ "))


def _walk(node: dict[str, Any], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    found = [(depth, node)]
    for child in node["children"]:
        found += _walk(child, depth + 1)
    return found


def _parent_of(roots: list[dict[str, Any]], name: str) -> str | None:
    def find(node: dict[str, Any], parent: str | None) -> str | None:
        if node["type"].split(".")[-2] == name:
            return parent
        for child in node["children"]:
            found = find(child, node["type"].split(".")[-2])
            if found is not None:
                return found
        return None

    for root in roots:
        if (parent := find(root, None)) is not None:
            return parent
    return None


async def test_case_tells_an_approved_case_s_story_across_every_service(
    services: RunningServices, approved: dict[str, Any]
) -> None:
    application_id = approved["id"]
    work, residence = approved["work_permit"]["number"], approved["residence_permit"]["number"]

    result = await ops_async(services, "case", application_id)

    assert result.exit_code == 0, result.output
    text = result.stdout
    assert f"Case {application_id}" in text
    assert "approved" in text
    assert "finished" in text  # the clock
    assert approved["deadline"]["due_on"] in text
    assert work in text
    assert residence in text
    for name in (
        "SubmitApplication",
        "VerifyIdentity",
        "IdentityVerified",
        "AssessWorkPermit",
        "ResidencePermitReserved",
        "IssueWorkPermit",
        "ApplicationApproved",
    ):
        assert name in text, name
    # Rich draws the tree: an answer is indented under the command that caused it.
    lines = text.splitlines()
    verify = next(line for line in lines if "VerifyIdentity command" in line)
    verified = next(line for line in lines if "IdentityVerified event" in line)
    assert lines.index(verified) > lines.index(verify)
    assert _depth(verified) > _depth(verify)
    assert "DE JONG" not in text  # personal data stays redacted


async def test_case_as_json_is_a_causation_tree_with_personal_data_redacted(
    services: RunningServices, approved: dict[str, Any]
) -> None:
    result = await ops_async(services, "case", approved["id"], "--json")

    assert result.exit_code == 0, result.output
    story = json.loads(result.stdout)
    roots = story["messages"]
    assert [root["type"].split(".")[-2] for root in roots] == ["SubmitApplication"]
    assert _parent_of(roots, "VerifyIdentity") == "SubmitApplication"
    assert _parent_of(roots, "IdentityVerified") == "VerifyIdentity"
    assert _parent_of(roots, "AssessWorkPermit") == "IdentityVerified"
    assert _parent_of(roots, "WorkPermitReserved") == "AssessWorkPermit"
    every = [node for root in roots for _, node in _walk(root)]
    assert all(node["correlation_id"] == approved["id"] for node in every)
    assert len({node["id"] for node in every}) == len(every)  # each message once
    submitted = roots[0]["data"]["form"]["applicant"]
    assert submitted["surname"] == submitted["passport"]["number"] == "[redacted]"
    assert story["saga"]["status"] == "approved"
    assert {(p["side"], p["what"]) for p in story["permits"]} >= {
        ("work", "reserved"),
        ("work", "issued"),
        ("residence", "reserved"),
        ("residence", "issued"),
    }


async def test_showing_personal_data_is_logged_with_the_operator_s_name(
    services: RunningServices, approved: dict[str, Any]
) -> None:
    result = await ops_async(services, "case", approved["id"], "--json", "--show-pii")

    assert result.exit_code == 0, result.output
    assert "DE JONG" in result.stdout
    audit = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert audit, result.stderr
    assert audit[0]["level"] == "warning"
    assert audit[0]["operator"] == getpass.getuser()
    assert "personal data shown" in audit[0]["msg"]


async def test_tail_shows_a_new_case_s_messages_as_they_happen(
    services: RunningServices, gateway: Gateway
) -> None:
    bram = Person()
    await gateway.register(bram)
    tailing = asyncio.create_task(ops_async(services, "tail", "--timeout", "20"))
    await asyncio.sleep(4)  # the tail positions itself at the end of every topic first
    application_id = await gateway.submit_case(bram)
    await gateway.wait_for(None, application_id, {"approved"})

    result = await tailing

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if f"corr={application_id}" in line]
    types = " ".join(lines)
    for name in (
        "SubmitApplication",
        "ApplicationReceived",
        "WorkPermitIssued",
        "ApplicationApproved",
    ):
        assert name in types, name
    submit = next(line for line in lines if "SubmitApplication" in line)
    assert f"key={application_id}" in submit
    assert "applications.commands" in submit
    assert "cause=-" in submit  # the command that started it has no cause
    assert "DE JONG" not in result.stdout


async def test_tail_json_from_the_beginning_filters_by_case_and_type(
    services: RunningServices, approved: dict[str, Any]
) -> None:
    args = ("tail", "--from-beginning", "--case", approved["id"], "--json")
    result = await ops_async(
        services, *args, "--type", "onewindow.work-permit.*", "--max", "3", "--timeout", "20"
    )

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    assert all(line["correlation_id"] == approved["id"] for line in lines)
    assert all(line["type"].startswith("onewindow.work-permit.") for line in lines)
    assert lines[0]["type"] == "onewindow.work-permit.AssessWorkPermit.v1"
    assert lines[0]["data"]["date_of_birth"] == "[redacted]"
    assert {"time", "key", "partition", "offset", "causation_id", "summary"} <= set(lines[0])


async def test_stuck_lists_the_case_waiting_for_an_officer_and_not_the_decided_one(
    services: RunningServices, approved: dict[str, Any], waiting_for_officer: str
) -> None:
    await asyncio.sleep(3)

    idle = await ops_async(services, "stuck", "--older-than", "2s")
    recent = await ops_async(services, "stuck", "--older-than", "1h")

    assert idle.exit_code == 0, idle.output
    assert waiting_for_officer in idle.stdout
    assert "awaiting_officer" in idle.stdout
    assert approved["id"] not in idle.stdout
    assert waiting_for_officer not in recent.stdout
    assert "No open case has been idle for more than 1h" in recent.stdout


def test_stuck_refuses_a_duration_it_cannot_read(services: RunningServices) -> None:
    result = ops(services, "stuck", "--older-than", "ten minutes")

    assert result.exit_code == 2
    assert "is not a duration" in result.output


async def test_stuck_invariants_finds_none_on_a_live_stack_and_names_a_broken_case(
    services: RunningServices, approved: dict[str, Any], waiting_for_officer: str
) -> None:
    clean = await ops_async(services, "stuck", "--invariants")

    assert clean.exit_code == 0, clean.output
    assert "No case breaks an invariant" in clean.stdout

    # A decided case whose index says only the work permit stands (as an older saga could
    # leave one): the operator is shown it, and the command fails for scripts.
    client = make_client(services.env["MONGODB_URL"])
    cases = client[f"{services.env['ONEWINDOW_DB_PREFIX']}_applications"].cases
    try:
        await cases.insert_one(
            {"_id": "broken-1", "open": False, "status": "refused", "work": "issued",
             "residence": "cancelled"}
        )  # fmt: skip
        broken = await ops_async(services, "stuck", "--invariants")
    finally:
        await cases.delete_one({"_id": "broken-1"})
        await client.close()

    assert broken.exit_code == 1
    assert "broken-1" in broken.stdout
    assert "decided with exactly one valid permit" in broken.stdout
    assert approved["id"] not in broken.stdout
