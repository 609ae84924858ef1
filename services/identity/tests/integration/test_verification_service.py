"""Verification through Kafka and the real database, with the identity service in-process.

Commands are published to the session's `identity.commands` with CloudEvents headers;
events are read from `identity.events`. The registry is filled through the service's
own internal HTTP API, so a case verified right after a `PUT` must see the record.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from onewindow.contracts import catalog
from onewindow.contracts.envelope import Envelope, build_headers, new_envelope, parse_headers
from onewindow.contracts.message import Message
from onewindow.contracts.topics import IDENTITY_COMMANDS, IDENTITY_EVENTS
from onewindow.contracts.v1.common import DocumentRef, LegalBasis, ResolvedDocument
from onewindow.contracts.v1.identity import (
    CaseClosed,
    CloseCase,
    IdentityRejected,
    IdentityVerified,
    VerifyIdentity,
)
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.identity.bootstrap import bootstrap
from onewindow.identity.settings import IdentitySettings
from onewindow.runtime.service_tokens import (
    DEVELOPMENT_SERVICE_SECRET,
    ActingFor,
    ServiceCredentials,
)
from onewindow.runtime.validation.uscc import CODE_SET, make_uscc

pytestmark = pytest.mark.integration

APPLIED_ON = date(2027, 1, 4)
GATEWAY = ServiceCredentials(DEVELOPMENT_SERVICE_SECRET, caller="gateway")
WAIT_S = 60.0


@dataclass
class EventLog:
    """Every event read from identity.events this session, by application id."""

    by_case: dict[str, list[tuple[Envelope, Message]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, application_id: str, count: int = 1) -> list[Message]:
        async def enough() -> None:
            while len(self.by_case[application_id]) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), WAIT_S)
        return [message for _, message in self.by_case[application_id]]


@dataclass
class Harness:
    http: httpx.AsyncClient
    producer: AIOKafkaProducer
    events: EventLog
    commands_topic: str

    async def send(
        self, command: Message, application_id: str, envelope_id: str | None = None
    ) -> str:
        envelope = new_envelope(
            command.TYPE,
            source="tests",
            correlation_id=application_id,
            id=envelope_id or str(uuid.uuid4()),
        )
        await self.producer.send_and_wait(
            self.commands_topic,
            command.model_dump_json().encode(),
            key=application_id.encode(),
            headers=build_headers(envelope),
        )
        return envelope.id


async def _collect(consumer: AIOKafkaConsumer, log: EventLog) -> None:
    async for record in consumer:
        envelope = parse_headers(record.headers)
        message = catalog.by_type(envelope.type).model_validate_json(record.value)
        application_id = json.loads(record.value)["application_id"]
        log.by_case[application_id].append((envelope, message))
        log.arrived.set()


@pytest.fixture(scope="module")
async def harness(infrastructure: Infrastructure) -> AsyncIterator[Harness]:
    settings = IdentitySettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=infrastructure.namespace,
    )
    app = bootstrap(settings)
    consumer = AIOKafkaConsumer(
        infrastructure.topic(IDENTITY_EVENTS.name),
        bootstrap_servers=infrastructure.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    log = EventLog()
    await consumer.start()
    await producer.start()
    collector = asyncio.create_task(_collect(consumer, log))
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://identity") as http:
                yield Harness(http, producer, log, infrastructure.topic(IDENTITY_COMMANDS.name))
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
        await producer.stop()
        await consumer.stop()


@dataclass
class Person:
    """A person with a registered employer and certificates, unique to one test."""

    nationality: str
    passport: str
    uscc: str
    degree: str
    health: str
    criminal_record: str

    def verify(self, application_id: str, **changes: Any) -> VerifyIdentity:
        fields: dict[str, Any] = {
            "application_id": application_id,
            "nationality": self.nationality,
            "passport_number": self.passport,
            "passport_expires_on": date(2033, 10, 31),
            "date_of_birth": date(1984, 8, 12),
            "employer_uscc": self.uscc,
            "documents": (
                DocumentRef(kind="degree", registry_id=self.degree),
                DocumentRef(kind="criminal_record", registry_id=self.criminal_record),
                DocumentRef(kind="health", registry_id=self.health),
            ),
            "application_date": APPLIED_ON,
        }
        return VerifyIdentity.model_validate(fields | changes)


def new_uscc() -> str:
    return make_uscc("91310104" + "".join(secrets.choice(CODE_SET) for _ in range(9)))


async def put(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    """A clerk's write, as the gateway makes it."""
    headers = GATEWAY.headers("identity", ActingFor(sub="carl", role="clerk"))
    answer = await http.put(f"/internal/registry/{path}", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text


async def registered_person(h: Harness, nationality: str = "NLD") -> Person:
    passport = "N" + secrets.token_hex(4).upper()
    # Registry ids are the registry's own numbers, unrelated to the passport.
    serial = secrets.token_hex(6).upper()
    person = Person(
        nationality,
        passport,
        new_uscc(),
        f"DEG-{serial}",
        f"HEALTH-{serial}",
        f"CRIM-{serial}",
    )
    holder = {"nationality": nationality, "passport_number": passport}
    await put(
        h.http,
        f"employers/{person.uscc}",
        {"name": "Xuhui Labs", "licence_valid_until": "2031-01-01"},
    )
    await put(
        h.http,
        f"certificates/{person.degree}",
        {
            "kind": "degree",
            "holder": holder,
            "issued_on": "2010-06-30",
            "valid_until": None,
            "issuer": "Leiden University",
            "details": {"level": "doctorate"},
        },
    )
    await put(
        h.http,
        f"certificates/{person.health}",
        {
            "kind": "health",
            "holder": holder,
            "issued_on": "2026-12-01",
            "valid_until": "2027-06-01",
            "issuer": "Shanghai International Travel Healthcare Center",
        },
    )
    await put(
        h.http,
        f"certificates/{person.criminal_record}",
        {
            "kind": "criminal_record",
            "holder": holder,
            "issued_on": "2026-11-15",
            "valid_until": "2027-05-15",
            "issuer": "Justis (NLD)",
        },
    )
    return person


def case_id() -> str:
    return f"A-{uuid.uuid4()}"


async def test_complete_case_is_verified_with_the_resolved_documents(harness: Harness) -> None:
    person = await registered_person(harness)
    application_id = case_id()
    await harness.send(person.verify(application_id), application_id)
    [event] = await harness.events.wait_for(application_id)
    assert isinstance(event, IdentityVerified)
    assert event.person_ref.startswith("P-")
    assert person.passport not in event.model_dump_json()
    assert event.employer.uscc == person.uscc
    assert event.employer.licence_valid_until == date(2031, 1, 1)
    assert event.flags == ()
    assert event.documents == (
        ResolvedDocument(
            kind="degree",
            registry_id=person.degree,
            issuer="Leiden University",
            issued_on=date(2010, 6, 30),
            valid_until=None,
            details={"level": "doctorate"},
        ),
        ResolvedDocument(
            kind="criminal_record",
            registry_id=person.criminal_record,
            issuer="Justis (NLD)",
            issued_on=date(2026, 11, 15),
            valid_until=date(2027, 5, 15),
        ),
        ResolvedDocument(
            kind="health",
            registry_id=person.health,
            issuer="Shanghai International Travel Healthcare Center",
            issued_on=date(2026, 12, 1),
            valid_until=date(2027, 6, 1),
        ),
    )


async def rejection(harness: Harness, command: VerifyIdentity) -> IdentityRejected:
    await harness.send(command, command.application_id)
    [event] = await harness.events.wait_for(command.application_id)
    assert isinstance(event, IdentityRejected), event
    return event


async def test_passport_expired(harness: Harness) -> None:
    person = await registered_person(harness)
    command = person.verify(case_id(), passport_expires_on=date(2027, 1, 3))
    event = await rejection(harness, command)
    assert [r.code for r in event.reasons] == ["passport_expired"]


@pytest.mark.parametrize(
    "rule", ["document_not_found_when_absent", "document_not_found_when_another_persons"]
)
async def test_document_not_found(harness: Harness, rule: str) -> None:
    person = await registered_person(harness)
    if rule == "document_not_found_when_absent":
        cited = f"NOPE-{secrets.token_hex(6)}"
    else:
        cited = (await registered_person(harness, "BEL")).health
    command = person.verify(
        case_id(),
        documents=(
            DocumentRef(kind="degree", registry_id=person.degree),
            DocumentRef(kind="health", registry_id=cited),
        ),
    )
    event = await rejection(harness, command)
    assert [(r.code, r.params["registry_id"]) for r in event.reasons] == [
        ("document_not_found", cited)
    ], rule
    assert event.reasons[0].legal_basis == LegalBasis(
        policy="one-window-2026.1-shanghai", article="§3.2"
    )


async def test_an_expired_cited_certificate_is_passed_on_not_refused(harness: Harness) -> None:
    # The residence permit asks for a current one (`document_expired`), a supplement.
    person = await registered_person(harness)
    expired = f"OLD-{secrets.token_hex(6)}"
    await put(
        harness.http,
        f"certificates/{expired}",
        {
            "kind": "health",
            "holder": {"nationality": person.nationality, "passport_number": person.passport},
            "issued_on": "2026-01-01",
            "valid_until": "2027-01-03",
        },
    )
    application_id = case_id()
    command = person.verify(
        application_id,
        documents=(
            DocumentRef(kind="degree", registry_id=person.degree),
            DocumentRef(kind="health", registry_id=expired),
        ),
    )
    await harness.send(command, application_id)
    [event] = await harness.events.wait_for(application_id)
    assert isinstance(event, IdentityVerified), event
    assert [(d.registry_id, d.valid_until) for d in event.documents] == [
        (person.degree, None),
        (expired, date(2027, 1, 3)),
    ]


async def test_a_talent_recognition_in_the_registry_counts_uncited(harness: Harness) -> None:
    person = await registered_person(harness)
    recognition = f"TALENT-{secrets.token_hex(6)}"
    await put(
        harness.http,
        f"certificates/{recognition}",
        {
            "kind": "talent_recognition",
            "holder": {"nationality": person.nationality, "passport_number": person.passport},
            "issued_on": "2025-05-01",
            "valid_until": None,
            "issuer": "Shanghai Overseas High-Level Talent Programme",
        },
    )
    application_id = case_id()
    await harness.send(person.verify(application_id), application_id)  # does not cite it
    [event] = await harness.events.wait_for(application_id)
    assert isinstance(event, IdentityVerified), event
    assert [d.kind for d in event.documents] == [
        "degree",
        "criminal_record",
        "health",
        "talent_recognition",
    ]
    assert event.documents[-1].registry_id == recognition


async def test_employer_not_registered(harness: Harness) -> None:
    person = await registered_person(harness)
    unknown = new_uscc()
    event = await rejection(harness, person.verify(case_id(), employer_uscc=unknown))
    assert [(r.code, r.params) for r in event.reasons] == [
        ("employer_not_registered", {"uscc": unknown})
    ]


async def test_duplicate_application_names_the_first_case(harness: Harness) -> None:
    person = await registered_person(harness)
    first, second = case_id(), case_id()
    await harness.send(person.verify(first), first)
    [verified] = await harness.events.wait_for(first)
    assert isinstance(verified, IdentityVerified)
    event = await rejection(harness, person.verify(second))
    assert [r.code for r in event.reasons] == ["duplicate_application"]
    assert event.duplicate_of == first
    assert event.reasons[0].params == {"case_id": first}
    assert event.person_ref == verified.person_ref


async def test_every_reason_is_given_at_once(harness: Harness) -> None:
    person = await registered_person(harness)
    command = person.verify(
        case_id(),
        passport_expires_on=date(2026, 12, 31),
        employer_uscc=new_uscc(),
        documents=(DocumentRef(kind="health", registry_id=f"NOPE-{secrets.token_hex(6)}"),),
    )
    event = await rejection(harness, command)
    assert sorted(r.code for r in event.reasons) == [
        "document_not_found",
        "employer_not_registered",
        "passport_expired",
    ]


async def test_watchlist_match_is_a_flag_not_a_refusal(harness: Harness) -> None:
    person = await registered_person(harness)
    await put(
        harness.http,
        f"watchlist/{person.nationality}/{person.passport}",
        {"note": "refer to the exit-entry bureau"},
    )
    application_id = case_id()
    await harness.send(person.verify(application_id), application_id)
    [event] = await harness.events.wait_for(application_id)
    assert isinstance(event, IdentityVerified)
    assert event.flags == ("watchlist_match",)


async def test_the_same_command_delivered_twice_yields_one_event(harness: Harness) -> None:
    person = await registered_person(harness)
    application_id = case_id()
    command = person.verify(application_id)
    envelope_id = await harness.send(command, application_id)
    await harness.send(command, application_id, envelope_id=envelope_id)
    # Same key, same partition: once CaseClosed is out, both deliveries were handled.
    await harness.send(
        CloseCase(application_id=application_id, outcome="withdrawn"), application_id
    )
    await harness.events.wait_for(application_id, count=2)
    await asyncio.sleep(1.0)  # room for a wrongly relayed repeat to show up
    events = [message for _, message in harness.events.by_case[application_id]]
    assert [type(e) for e in events] == [IdentityVerified, CaseClosed]


async def test_closing_a_case_frees_the_person_to_apply_again(harness: Harness) -> None:
    person = await registered_person(harness)
    first, second, third = case_id(), case_id(), case_id()
    await harness.send(person.verify(first), first)
    [verified] = await harness.events.wait_for(first)
    assert isinstance(verified, IdentityVerified)
    duplicate = await rejection(harness, person.verify(second))
    assert duplicate.duplicate_of == first
    await harness.send(CloseCase(application_id=first, outcome="refused"), first)
    [_, closed] = await harness.events.wait_for(first, count=2)
    assert closed == CaseClosed(application_id=first, person_ref=verified.person_ref)
    await harness.send(person.verify(third), third)
    [event] = await harness.events.wait_for(third)
    assert isinstance(event, IdentityVerified)


async def test_a_rejected_case_does_not_hold_the_claim(harness: Harness) -> None:
    person = await registered_person(harness)
    first, second = case_id(), case_id()
    await rejection(harness, person.verify(first, passport_expires_on=date(2027, 1, 1)))
    await harness.send(person.verify(second), second)
    [event] = await harness.events.wait_for(second)
    assert isinstance(event, IdentityVerified)


async def test_the_same_person_through_any_channel_is_one_person(harness: Harness) -> None:
    person = await registered_person(harness)
    online, kiosk = case_id(), case_id()
    await harness.send(person.verify(online), online)
    [verified] = await harness.events.wait_for(online)
    assert isinstance(verified, IdentityVerified)
    # A kiosk reads the passport in another spelling; it is still the same person.
    spelled = person.verify(
        kiosk, nationality=person.nationality.lower(), passport_number=person.passport.lower()
    )
    event = await rejection(harness, spelled)
    assert event.person_ref == verified.person_ref
    assert event.duplicate_of == online
