"""Erasure (API.md v1.1 `DELETE /v1/people/…`, DOMAIN.md "Erasure"), every service as its
own OS process: an officer erases a person once nothing of theirs is open or retained;
afterwards none of the person's values is readable on any topic or in any store, the
read model still rebuilds from the topics, and the case view keeps its decision.

The values are minted for the test (surname, given names, date of birth, passport number,
e-mail address, residence address and registration number), so a find is theirs. Two
places are not searched, on purpose: the e-government registry's own records (identity's
`registry_certificates` and its `certificate-…` streams) are the issuing authorities'
records of the person, kept by clerks, not data of the application; and the mail sink is
the person's inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from pymongo import AsyncMongoClient

from onewindow.cli.seeding import Gateway, Person, certificate_records, employer_record
from onewindow.contracts.topics import REGISTRY
from onewindow.devstack.pytest_plugin import RunningServices
from onewindow.ops.reading import BusReader
from onewindow.runtime import vault
from onewindow.runtime.clock import SystemClock, local_today

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TODAY = local_today(SystemClock())
FINAL = {"approved", "refused", "withdrawn"}
SIDES = ("work_permit", "residence_permit")
CLI = Path(sys.executable).with_name("onewindow")
SCAN = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(64 * 1024) + b"\n%%EOF\n"


def _letters(count: int) -> str:
    return "".join(random.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(count))


class Minted:
    """A person whose every personal value is unique to this test."""

    def __init__(self) -> None:
        born = date(1960, 1, 1) + timedelta(days=random.randrange(30 * 365))
        self.person = Person(passport="E" + _letters(2) + str(random.randrange(10**5, 10**6)))
        self.person.date_of_birth = born
        self.surname, self.given_names = _letters(9), _letters(7)
        self.address = f"{random.randrange(100, 999)} {_letters(8).title()} Road, Xuhui"
        self.registration = f"XH-{_letters(4)}-{random.randrange(10**5, 10**6)}"

    @property
    def values(self) -> list[str]:
        person = self.person
        return [
            self.surname,
            self.given_names,
            person.passport,
            person.date_of_birth.isoformat(),
            person.email,
            self.address,
            self.registration,
        ]

    def application(self, gateway: Gateway) -> dict[str, Any]:
        body = gateway.application(self.person, today=TODAY)
        body["applicant"].update(surname=self.surname, given_names=self.given_names)
        body["residence"] = {"address": self.address, "registration_number": self.registration}
        return body


async def register(gateway: Gateway, person: Person, kinds: tuple[str, ...]) -> None:
    """A clerk records the employer and the certificates, under ids that do not name the
    passport (the seeding's ids do, which would be found everywhere a case cites them)."""
    response = await gateway.http.put(
        f"/v1/registry/employers/{person.uscc}", json=employer_record(), headers=gateway.clerk
    )
    assert response.status_code in (200, 201), response.text
    records = certificate_records(person, health_issued=TODAY - timedelta(days=30))
    for kind in kinds:
        certificate_id = f"{kind}-{uuid.uuid4().hex[:12]}"
        response = await gateway.http.put(
            f"/v1/registry/certificates/{certificate_id}", json=records[kind], headers=gateway.clerk
        )
        assert response.status_code in (200, 201), response.text
        person.documents[kind] = certificate_id


async def erase(gateway: Gateway, person: Person, headers: dict[str, str] | None = None) -> Any:
    return await gateway.http.delete(
        f"/v1/people/{person.nationality}/{person.passport}",
        headers=headers if headers is not None else gateway.officer,
    )


async def found_on_topics(
    services: RunningServices, values: list[str], opened: Opener
) -> dict[str, set[str]]:
    """Each of `values` found in a record (value or headers) of the namespace's topics,
    their dead-letter topics included, as `opened` reads it."""
    found: dict[str, set[str]] = {}
    names = [name for topic in REGISTRY for name in (topic.name, topic.dlq)]
    async with BusReader(
        services.infrastructure.kafka_bootstrap,
        names,
        topic_prefix=services.infrastructure.topic_prefix,
        client_id="erasure-test",
    ) as reader:
        await reader.from_beginning()
        async for record in reader.until_end():
            text = await opened((record.value or b"").decode("utf-8", "replace"))
            hits = {v for v in values if v in text + repr(record.headers)}
            if hits:
                found.setdefault(record.topic, set()).update(hits)
    return found


class Opener:
    """Reads a JSON text as a reader holding the vault would: with the case's key if the
    vault still has it (`with_vault`), or as it is stored (`as_stored`)."""

    def __init__(self, keyring: vault.Keyring | None, case: str) -> None:
        self.keyring, self.case = keyring, case

    async def __call__(self, text: str) -> str:
        if self.keyring is None or not vault.is_sealed_json(text):
            return text
        try:
            data = json.loads(text)
        except ValueError:
            return text
        return json.dumps(await self.keyring.unseal(data, self.case))


def _registry(database: str, collection: str, document: dict[str, Any]) -> bool:
    if not database.endswith("_identity"):
        return False
    return collection == "registry_certificates" or (
        collection == "commits" and str(document.get("stream", "")).startswith("certificate-")
    )


async def found_in_stores(
    services: RunningServices, values: list[str], opened: Opener
) -> dict[str, set[str]]:
    """Each of `values` found in a document of the namespace's databases (registry aside),
    as `opened` reads it."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(services.infrastructure.mongodb_url)
    found: dict[str, set[str]] = {}
    try:
        for name in await client.list_database_names():
            if not name.startswith(services.infrastructure.namespace + "_"):
                continue
            for collection in await client[name].list_collection_names():
                async for document in client[name][collection].find({}):
                    if _registry(name, collection, document):
                        continue
                    text = await opened(json_util.dumps(document))
                    hits = {v for v in values if v in text}
                    if hits:
                        found.setdefault(f"{name}.{collection}", set()).update(hits)
    finally:
        await client.close()
    return found


@contextlib.asynccontextmanager
async def vault_of(services: RunningServices) -> AsyncIterator[vault.Keyring]:
    """The namespace's vault, as the services read it."""
    infra = services.infrastructure
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    try:
        yield vault.Keyring(client[f"{infra.namespace}_vault"])
    finally:
        await client.close()


async def rebuild(services: RunningServices) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(CLI),
        "ops",
        "rebuild",
        "applications",
        env={**os.environ, **services.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 180)
    return process.returncode or 0, output.decode()


async def test_an_erased_person_keeps_the_decision_and_no_readable_personal_data(
    services: RunningServices, gateway: Gateway
) -> None:
    minted = Minted()
    person = minted.person
    # No health certificate in the registry: a scan is uploaded, so an officer decides.
    await register(gateway, person, ("degree", "criminal_record"))
    upload = await gateway.upload(person, "health", SCAN)
    uncited = await gateway.upload(person, "degree", SCAN)  # a scan the case never cites
    body = minted.application(gateway)
    body["documents"].append({"kind": "health", "upload_id": upload["upload_id"]})
    submitted = await gateway.submit(person, body)
    assert submitted.status_code == 202, submitted.text
    application_id = submitted.json()["id"]
    await gateway.wait_for(person, application_id, {"awaiting_officer"})

    # Open: refused, and nothing is erased.
    refused_open = await erase(gateway, person)
    assert refused_open.status_code == 409, refused_open.text
    assert refused_open.json()["type"].endswith("/open-case")
    # Only an officer erases.
    assert (await erase(gateway, person, person.headers)).status_code == 403

    # The services read the person's sealed data: the officer's evidence view names the
    # scan and the case is decided on it.
    review = await gateway.review(application_id, "residence", "refuse", reason="Not legible.")
    assert review.status_code == 202, review.text
    decided = await gateway.wait_for(person, application_id, FINAL)
    assert decided["status"] == "refused"
    scan = f"/v1/uploads/{upload['upload_id']}"
    for kept in (scan, f"/v1/uploads/{uncited['upload_id']}"):
        assert (await gateway.http.get(kept, headers=gateway.officer)).status_code == 200

    async with vault_of(services) as keyring:
        # Before: stored sealed, every value readable with the vault's key.
        as_stored = Opener(None, application_id)
        assert await found_on_topics(services, minted.values, as_stored) == {}
        readable = await found_on_topics(services, minted.values, Opener(keyring, application_id))
        assert set().union(*readable.values()) == set(minted.values), readable

        erased = await erase(gateway, person)
        assert erased.status_code == 202, erased.text
        assert erased.json() == {"status": "erased", "cases": 1}
        again = await erase(gateway, person)
        assert again.status_code == 202, again.text

        # After: readable nowhere, not even with the vault (its key is gone).
        with_vault = Opener(vault.Keyring(keyring.keys.database), application_id)
        for opened in (as_stored, with_vault):
            assert await found_on_topics(services, minted.values, opened) == {}
            assert await found_in_stores(services, minted.values, opened) == {}
    for gone in (scan, f"/v1/uploads/{uncited['upload_id']}"):
        assert (await gateway.http.get(gone, headers=gateway.officer)).status_code == 404

    code, output = await rebuild(services)
    assert code == 0, output
    after = await gateway.case(None, application_id)
    assert after["status"] == "refused"
    assert after["decision"] == decided["decision"]
    assert not {v for v in minted.values if v in str(after)}


async def test_erasure_waits_for_the_retention_period_of_a_permit(
    gateway: Gateway,
) -> None:
    minted = Minted()
    person = minted.person
    await register(gateway, person, ("degree", "criminal_record", "health"))
    submitted = await gateway.submit(person, minted.application(gateway))
    assert submitted.status_code == 202, submitted.text
    case = await gateway.wait_for(person, submitted.json()["id"], FINAL)
    assert case["status"] == "approved", case

    refused = await erase(gateway, person)

    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/retention-period")
    expires = max(date.fromisoformat(case[side]["valid_until"]) for side in SIDES)
    assert expires.replace(year=expires.year + 5).isoformat() in problem["detail"]
    # Still readable: the case view and the services carry on as before.
    assert (await gateway.case(person, case["id"]))["status"] == "approved"


async def test_erasing_someone_with_no_case_is_not_found(gateway: Gateway) -> None:
    response = await erase(gateway, Minted().person)

    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
