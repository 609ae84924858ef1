"""Dead letters: a poison message put on a topic by the test is listed, shown, fixed and
replayed exactly once; another is discarded with who and why."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from click.testing import Result
from pymongo import AsyncMongoClient

from onewindow.cli.seeding import Gateway, Person, application_body
from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.contracts.v1.applications import Actor, SubmitApplication
from onewindow.contracts.v1.common import ApplicationForm
from onewindow.devstack.pytest_plugin import RunningServices
from onewindow.ops.reading import BusReader
from onewindow.runtime.vault import Keyring

from .support import ops_async

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(scope="module")
async def gateway(services: RunningServices) -> AsyncIterator[Gateway]:
    client = Gateway(services.gateway)
    yield client
    await client.close()


async def put_on_topic(
    services: RunningServices, topic: str, key: str, ce_type: str, value: bytes
) -> str:
    """Publish one record the way a producer of this bus would; return its ce_id."""
    envelope = new_envelope(ce_type, source="onewindow/kiosk-bridge", correlation_id=key)
    producer = AIOKafkaProducer(bootstrap_servers=services.infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            services.env["ONEWINDOW_TOPIC_PREFIX"] + topic,
            value,
            key=key.encode(),
            headers=build_headers(envelope),
        )
    finally:
        await producer.stop()
    return envelope.id


async def dead_letter_of(
    services: RunningServices,
    key: str,
    *,
    topic: str = "applications.commands",
    within_s: float = 60,
) -> str:
    """The id `ops dlq list` gives the dead letter keyed `key`, once it is there."""
    deadline = asyncio.get_running_loop().time() + within_s
    listed: Result | None = None
    while asyncio.get_running_loop().time() < deadline:
        listed = await ops_async(services, "dlq", "list", "--topic", topic)
        for line in listed.stdout.splitlines():
            if key in line and line.split()[0].startswith(f"{topic}.dlq/"):
                return line.split()[0]
        await asyncio.sleep(1)
    raise AssertionError(f"no dead letter for {key}: {listed.output if listed else ''}")


async def records_of(services: RunningServices, key: str) -> list[Any]:
    """Every record keyed `key` on `applications.commands`."""
    async with BusReader(
        services.infrastructure.kafka_bootstrap,
        ["applications.commands"],
        topic_prefix=services.infrastructure.topic_prefix,
        key=key,
        client_id="dlq-test",
    ) as reader:
        await reader.from_beginning()
        return [record async for record in reader.until_end() if record.key == key.encode()]


def _replayed(record: Any) -> bool:
    return any(name == "x-replay-of" for name, _ in record.headers or ())


def row_of(result: Result, first: str) -> str:
    """The line of a printed table whose first cell is `first`."""
    return next(line for line in result.stdout.splitlines() if line.split()[:1] == [first])


def submit_command(person: Person, application_id: str) -> SubmitApplication:
    return SubmitApplication(
        application_id=application_id,
        submitted_by=Actor(sub=person.sub, role="applicant"),
        submitted_at=datetime.now(UTC),
        form=ApplicationForm.model_validate(application_body(person, today=date.today())),
    )


async def test_a_poison_command_is_listed_then_replayed_once_after_it_is_corrected(
    services: RunningServices, gateway: Gateway, tmp_path: Path
) -> None:
    # A kiosk bridge with a bug sends the salary as text: the saga cannot read it.
    dana = Person()
    await gateway.register(dana)
    application_id = str(uuid.uuid4())
    command = submit_command(dana, application_id)
    broken: dict[str, Any] = command.model_dump(mode="json")
    broken["form"]["position"]["annual_salary_cny"] = "900,000 CNY"
    ce_id = await put_on_topic(
        services,
        "applications.commands",
        application_id,
        SubmitApplication.TYPE,
        json.dumps(broken).encode(),
    )

    dead_letter = await dead_letter_of(services, application_id)
    listed = await ops_async(services, "dlq", "list")
    shown = await ops_async(services, "dlq", "show", dead_letter)
    with_pii = await ops_async(services, "dlq", "show", dead_letter, "--show-pii")

    row = row_of(listed, dead_letter)
    assert "onewindow.applications.SubmitApplication.v1" in row
    assert "annual_salary_cny" in row  # the error says what is wrong
    assert "applications" in row  # the group that gave up
    assert shown.exit_code == 0, shown.output
    assert row_of(shown, "ce_id").split() == ["ce_id", ce_id]
    assert "x-dlq-original-topic" in shown.stdout
    # What the contract refuses may hold anything: withheld, unless asked for (audited).
    assert '"annual_salary_cny": "[withheld: refused by the contract]"' in shown.stdout
    assert "DE JONG" not in shown.stdout
    assert '"annual_salary_cny": "900,000 CNY"' in with_pii.stdout
    assert "personal data shown by ops dlq show" in with_pii.stderr

    # The case has a key in the vault, as every case the gateway opens does.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(services.infrastructure.mongodb_url)
    keyring = Keyring(client[f"{services.infrastructure.namespace}_vault"])
    await keyring.create(application_id, "person-ref-of-dana", at=datetime.now(UTC))
    await client.close()

    # The fix: the operator corrects the payload; the replay keeps the message's id.
    corrected = tmp_path / "corrected.json"
    corrected.write_text(command.model_dump_json())
    still_broken = tmp_path / "still-broken.json"
    still_broken.write_text(json.dumps(broken))
    refused = await ops_async(
        services, "dlq", "replay", dead_letter, "--payload", str(still_broken)
    )
    replayed = await ops_async(
        services, "dlq", "replay", dead_letter, "--payload", str(corrected), "--reason", "salary"
    )
    again = await ops_async(services, "dlq", "replay", dead_letter)

    assert refused.exit_code == 2
    assert "the contract refuses it" in refused.output
    assert replayed.exit_code == 0, replayed.output
    assert f"Replayed {dead_letter}" in replayed.stdout
    assert "with a corrected payload" in replayed.stdout
    # The operator wrote the person's data in plain; the topic holds it sealed.
    [replay] = [r for r in await records_of(services, application_id) if _replayed(r)]
    assert b"DE JONG" not in (replay.value or b"")
    assert b"ow:sealed:v1:" in (replay.value or b"")
    case = await gateway.wait_for(None, application_id, {"approved"})
    assert case["work_permit"]["status"] == "issued"
    assert again.exit_code == 1
    assert "already replayed" in again.stdout

    # Exactly once: one case opened, one receipt, one decision; the command was delivered
    # twice on its topic (the poison and the replay) and dead-lettered once.
    story = json.loads((await ops_async(services, "case", application_id, "--json")).stdout)
    saga_types = [event["type"] for event in story["saga_events"]]
    assert saga_types.count("applications.CaseOpened.v1") == 1
    [root] = story["messages"]
    assert root["id"] == ce_id
    assert root["deliveries"] == 2
    assert [d["group"].rsplit(".", 1)[-1] for d in root["dead_letters"]] == ["applications"]
    names = [child["type"].split(".")[-2] for child in root["children"]]
    assert names.count("ApplicationReceived") == 1
    assert names.count("VerifyIdentity") == 1

    hidden = await ops_async(services, "dlq", "list", "--topic", "applications.commands")
    everything = await ops_async(services, "dlq", "list", "--all")
    assert dead_letter not in hidden.stdout
    handled = row_of(everything, dead_letter)
    assert "replay by" in handled


async def test_a_dead_letter_is_discarded_once_with_who_and_why(
    services: RunningServices,
) -> None:
    # A producer still on a retired version sends a type this bus no longer reads.
    key = str(uuid.uuid4())
    await put_on_topic(
        services,
        "applications.commands",
        key,
        "onewindow.applications.SubmitApplication.v0",
        b'{"application_id": "legacy"}',
    )
    dead_letter = await dead_letter_of(services, key)

    without_reason = await ops_async(services, "dlq", "discard", dead_letter)
    discarded = await ops_async(
        services, "dlq", "discard", dead_letter, "--reason", "retired v0 producer", "--by", "olga"
    )
    twice = await ops_async(services, "dlq", "discard", dead_letter, "--reason", "again")
    replay_after = await ops_async(services, "dlq", "replay", dead_letter)
    everything = await ops_async(services, "dlq", "list", "--all")
    shown = await ops_async(services, "dlq", "show", dead_letter)

    assert without_reason.exit_code == 2
    assert "--reason" in without_reason.output
    assert discarded.exit_code == 0, discarded.output
    assert "by olga: retired v0 producer" in discarded.stdout
    assert twice.exit_code == 1
    assert "already discarded by olga" in twice.stdout
    assert replay_after.exit_code == 1
    row = row_of(everything, dead_letter)
    assert "discard by olga" in row
    assert "unknown type" in shown.stdout or "UnknownMessageType" in shown.stdout
    assert "discard by olga" in shown.stdout
    assert "retired v0 producer" in shown.stdout


async def test_a_command_that_failed_on_broken_data_is_replayed_once_after_the_repair(
    services: RunningServices, gateway: Gateway
) -> None:
    # Someone edited the work-permit number counter by hand: allocating a number fails.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(services.infrastructure.mongodb_url)
    counters = client[f"{services.env['ONEWINDOW_DB_PREFIX']}_work_permit"].permit_number_series
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    await counters.update_one({"_id": f"WP-{year}"}, {"$set": {"last": "0O7"}}, upsert=True)
    # The running process still holds numbers of its last block (runtime.numbering); once
    # restarted (as after a deploy), its next number comes from the broken counter.
    services.kill("work-permit")
    await asyncio.to_thread(services.restart, "work-permit")
    eva = Person()
    await gateway.register(eva)
    application_id = await gateway.submit_case(eva)

    dead_letter = await dead_letter_of(services, application_id, topic="work-permit.commands")
    stuck = await ops_async(services, "case", application_id)
    refused_early = (await gateway.case(None, application_id))["status"]

    assert "AssessWorkPermit" in stuck.stdout
    assert "DEAD-LETTERED on work-permit.commands.dlq" in stuck.stdout
    assert "Cannot apply $inc" in stuck.stdout  # the database's own words
    assert refused_early == "assessing"  # the case waits; nothing was decided wrongly

    # The fix: the counter is repaired (the unique claims skip any number already used).
    await counters.update_one({"_id": f"WP-{year}"}, {"$set": {"last": 0}})
    replayed = await ops_async(services, "dlq", "replay", dead_letter, "--reason", "counter fixed")
    case = await gateway.wait_for(None, application_id, {"approved"})
    again = await ops_async(services, "dlq", "replay", dead_letter)
    await client.close()

    assert replayed.exit_code == 0, replayed.output
    assert "with a corrected payload" not in replayed.stdout
    assert case["work_permit"]["status"] == "issued"
    assert again.exit_code == 1
    story = json.loads((await ops_async(services, "case", application_id, "--json")).stdout)
    nodes = [node for root in story["messages"] for node in _walk(root)]
    [assess] = [n for n in nodes if n["type"].endswith("AssessWorkPermit.v1")]
    assert assess["deliveries"] == 2  # the first delivery and the replay, same ce_id
    assert len(assess["dead_letters"]) == 1
    reserved = [n for n in nodes if n["type"].endswith("WorkPermitReserved.v1")]
    assert len(reserved) == 1  # handled exactly once
    assert [p["what"] for p in story["permits"] if p["side"] == "work"] == ["reserved", "issued"]


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["children"] for n in _walk(child))]
