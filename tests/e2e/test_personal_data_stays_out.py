"""Personal data stays out of what operators read (security issue 14): after the whole
bad-input suite, driven with personal values minted for this test, none of them is in any
service's log, in any dead letter's headers, nor in any answer of the operators' console
or of `onewindow ops dlq`.

The suite: every row of `test_bad_input` (and a few more whose errors would quote the
values), the registry's bad inputs, pre-checks with invalid bodies, passport readings with
bad typed lines, uploads of bad files, and poison messages put straight onto each command
topic (a payload its contract refuses, and one that is not JSON), so they are
dead-lettered. Every service runs as its own OS process; the test reads their log files,
the `.dlq` topics from their start, the console over HTTP as an operator, and the CLI as
a subprocess against the namespace's Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from onewindow.cli.seeding import Gateway, Person, application_body, auth
from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.contracts.topics import REGISTRY
from onewindow.contracts.v1.applications import SubmitApplication
from onewindow.contracts.v1.identity import VerifyIdentity
from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.devstack.processes import Managed
from onewindow.devstack.pytest_plugin import RunningServices
from onewindow.ops.reading import BusReader
from onewindow.runtime.validation.mrz import build_td3
from tests.e2e.test_bad_input import ROWS, TODAY, Body, changed, set_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

WITHIN_S = 45.0  # for the dead letters to appear, on the bus and in the console
CLI = Path(sys.executable).with_name("onewindow")
COMMAND_TOPICS = [topic.name for topic in REGISTRY if topic.name.endswith(".commands")]
SUITE = ("applications", "pre-checks", "registry", "passport readings", "uploads")


def _letters(count: int) -> str:
    """Random capital letters: a name no log holds by chance, and an MRZ can hold."""
    return "".join(random.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(count))


@dataclass(frozen=True)
class Mint:
    """Personal values of one made-up person, unique enough to grep for."""

    surname: str = field(default_factory=lambda: "QX" + _letters(8))
    given_names: str = field(default_factory=lambda: "ZW" + _letters(8))
    passport: str = field(default_factory=lambda: "K" + uuid.uuid4().hex[:8].upper())
    date_of_birth: date = field(
        default_factory=lambda: date(1951, 1, 1) + timedelta(days=random.randrange(25 * 365))
    )
    phone: str = field(default_factory=lambda: "+86139" + str(random.randrange(10**7, 10**8)))
    email_user: str = field(default_factory=lambda: "mail" + _letters(8).lower())
    employer_contact: str = field(
        default_factory=lambda: f"hr{_letters(8).lower()}@employer.example"
    )
    street: str = field(default_factory=lambda: _letters(9).title() + " Lu")

    @property
    def email(self) -> str:
        return f"{self.email_user}@example.org"

    @property
    def address(self) -> str:
        return f"17 {self.street}, Xuhui District, Shanghai"

    def needles(self) -> dict[str, str]:
        """What must not be found, by what it is (matched regardless of case)."""
        return {
            "surname": self.surname,
            "given names": self.given_names,
            "passport number": self.passport,
            "date of birth": self.date_of_birth.isoformat(),
            "date of birth (dd.mm.yyyy)": self.date_of_birth.strftime("%d.%m.%Y"),
            "email": self.email_user,
            "phone": self.phone.removeprefix("+"),
            "employer contact": self.employer_contact,
            "address": self.street,
        }

    def sentence(self) -> str:
        """Every value in one line of text, as a careless producer would write it."""
        return (
            f"{self.surname}, {self.given_names}; passport {self.passport}; born "
            f"{self.date_of_birth.isoformat()}; {self.email}; {self.phone}; "
            f"{self.employer_contact}; {self.address}"
        )

    def person(self) -> Person:
        return Person(passport=self.passport, date_of_birth=self.date_of_birth)

    def mrz(self, *, corrupt: bool) -> tuple[str, str]:
        lines = build_td3(
            surname=self.surname,
            given_names=self.given_names,
            passport_number=self.passport,
            nationality="NLD",
            date_of_birth=self.date_of_birth,
            expires_on=date(2033, 10, 31),
            sex="F",
        )
        if corrupt:  # the date of birth's check digit (position 20 of line 2)
            digit = lines[1][19]
            lines = (lines[0], lines[1][:19] + str((int(digit) + 1) % 10) + lines[1][20:])
        return lines


@dataclass
class Scanned:
    """What was read, and every submitted value found in it."""

    counts: dict[str, int] = field(default_factory=dict)
    leaks: list[str] = field(default_factory=list)

    def scan(self, what: str, source: str, texts: Iterable[str], needles: dict[str, str]) -> None:
        wanted = {label: value.lower() for label, value in needles.items()}
        for number, text in enumerate(texts, start=1):
            self.counts[what] = self.counts.get(what, 0) + 1
            lowered = text.lower()
            for label, value in wanted.items():
                at = lowered.find(value)
                if at >= 0:
                    context = text[max(0, at - 160) : at + len(value) + 80]
                    self.leaks.append(f"{label} in {source} #{number}: …{context}…")


def applicant() -> dict[str, str]:
    """A fresh account each time, so no per-account rate limit answers before the check."""
    return auth("applicant", f"pd-{uuid.uuid4().hex[:10]}")


def personal_body(mint: Mint, person: Person) -> Body:
    """A valid application, carrying every minted value where the form has room for it."""
    body = application_body(person, today=TODAY)
    body["applicant"].update(
        surname=mint.surname, given_names=mint.given_names, email=mint.email, phone=mint.phone
    )
    body["employer"]["contact_email"] = mint.employer_contact
    body["residence"]["address"] = mint.address
    return body


def extra_rows(mint: Mint) -> list[tuple[str, Callable[[Body], Body], int]]:
    """Bad inputs whose error messages would quote a submitted value."""
    return [
        (
            "date of birth that is not a date",
            changed(set_in("applicant.date_of_birth", mint.sentence())),
            422,
        ),
        ("malformed e-mail", changed(set_in("applicant.email", f"{mint.email}@@x")), 422),
        ("malformed phone", changed(set_in("applicant.phone", f"call {mint.phone} now")), 422),
        (
            "passport number of a wrong shape",
            changed(set_in("applicant.passport.number", f"{mint.passport}-{mint.surname}")),
            422,
        ),
        (
            "employer contact that is not an address",
            changed(set_in("employer.contact_email", f"{mint.employer_contact} {mint.surname}")),
            422,
        ),
        (
            "surname of the wrong type",
            changed(set_in("applicant.surname", {"value": mint.surname, "dob": mint.sentence()})),
            422,
        ),
        (
            "an MRZ that is not two lines",
            changed(set_in("applicant.passport.mrz", [mint.sentence()])),
            422,
        ),
    ]


async def drive_applications(gateway: Gateway, mint: Mint) -> list[str]:
    """Every row of `test_bad_input` and the extra rows, with the minted values."""
    person = mint.person()
    person.documents = {"degree": f"degree-{mint.passport}"}
    valid = personal_body(mint, person)
    valid_json = json.dumps(valid).encode()
    requests: list[tuple[str, bytes, dict[str, str], int]] = []
    for name, edit, headers, raw, status, _problem in ROWS:
        content = json.dumps(edit(valid)).encode() if raw is None else valid_json
        if raw is not None and len(raw) > len(content):  # as large as the row's own
            content = json.dumps({**valid, "pad": "x" * len(raw)}).encode()
        requests.append((name, content, headers, status))
    for name, edit, status in extra_rows(mint):
        requests.append((name, json.dumps(edit(valid)).encode(), {}, status))
    requests.append(("body that is not JSON", valid_json[:-7] + b"...", {}, 400))

    async def send(name: str, content: bytes, headers: dict[str, str], status: int) -> str:
        sent = {
            **applicant(),
            "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json",
            **headers,
        }
        if not sent["Idempotency-Key"]:
            del sent["Idempotency-Key"]
        response = await gateway.http.post("/v1/applications", content=content, headers=sent)
        assert response.status_code == status, (name, response.text)
        return name

    return list(await asyncio.gather(*(send(*request) for request in requests)))


async def drive_prechecks(gateway: Gateway, mint: Mint) -> list[str]:
    """`POST /v1/prechecks` with the invalid bodies of the application rows."""
    person = mint.person()
    valid = personal_body(mint, person)
    bodies = [(name, edit(valid)) for name, edit, _h, raw, status, _p in ROWS if status == 422]
    bodies += [(name, edit(valid)) for name, edit, _status in extra_rows(mint)]

    async def check(name: str, body: Body) -> str:
        for role_headers in (applicant(), auth("clerk", f"clerk-{uuid.uuid4().hex[:6]}")):
            response = await gateway.http.post("/v1/prechecks", json=body, headers=role_headers)
            assert response.status_code == 422, (name, response.text)
        return name

    checked = list(await asyncio.gather(*(check(name, body) for name, body in bodies)))
    garbled = await gateway.http.post(
        "/v1/prechecks",
        content=mint.sentence().encode(),
        headers={**applicant(), "Content-Type": "application/json"},
    )
    assert garbled.status_code in (400, 422), garbled.text
    return [*checked, "not JSON"]


async def drive_registry(gateway: Gateway, mint: Mint) -> list[str]:
    """A clerk's bad writes to the registry, the personal values in paths and bodies."""
    clerk = gateway.clerk
    holder = {"nationality": "NLD", "passport_number": mint.passport}
    certificate = {
        "kind": "degree",
        "holder": holder,
        "issued_on": "2010-07-01",
        "details": {"level": "doctorate"},
        "issuer": "Leiden University",
    }
    calls: list[tuple[str, str, str, dict[str, str], Any]] = [
        (
            "certificate: unknown kind",
            "PUT",
            f"/v1/registry/certificates/degree-{mint.passport}",
            clerk,
            {**certificate, "kind": mint.surname},
        ),
        (
            "certificate: holder's nationality unknown",
            "PUT",
            f"/v1/registry/certificates/degree-{mint.passport}",
            clerk,
            {**certificate, "holder": {**holder, "nationality": "XXY"}},
        ),
        (
            "certificate: issued on a date that is not one",
            "PUT",
            f"/v1/registry/certificates/degree-{mint.passport}",
            clerk,
            {**certificate, "issued_on": mint.sentence()},
        ),
        (
            "certificate: holder's passport number of a wrong shape",
            "PUT",
            f"/v1/registry/certificates/degree-{mint.surname}",
            clerk,
            {**certificate, "holder": {**holder, "passport_number": mint.sentence()}},
        ),
        (
            "certificate: id too long",
            "PUT",
            f"/v1/registry/certificates/{mint.passport}{mint.surname * 12}",
            clerk,
            certificate,
        ),
        (
            "watchlist: unknown nationality",
            "PUT",
            f"/v1/registry/watchlist/XXY/{mint.passport}",
            clerk,
            {"note": mint.sentence()},
        ),
        (
            "watchlist: note of the wrong type",
            "PUT",
            f"/v1/registry/watchlist/NLD/{mint.passport}",
            clerk,
            {"note": {"about": mint.sentence()}},
        ),
        (
            "watchlist: by an applicant",
            "PUT",
            f"/v1/registry/watchlist/NLD/{mint.passport}",
            applicant(),
            {"note": mint.sentence()},
        ),
        (
            "employer: bad USCC",
            "PUT",
            f"/v1/registry/employers/{mint.surname}",
            clerk,
            {"name": mint.sentence(), "licence_valid_until": "2031-12-31"},
        ),
        (
            "employer: licence date that is not one",
            "PUT",
            "/v1/registry/employers/91310104MA1FL5KX1N",
            clerk,
            {"name": mint.given_names, "licence_valid_until": mint.sentence()},
        ),
        (
            "watchlist: read, none",
            "GET",
            f"/v1/registry/watchlist/NLD/{mint.passport}",
            clerk,
            None,
        ),
        (
            "certificate: read, none",
            "GET",
            f"/v1/registry/certificates/degree-{mint.passport}",
            clerk,
            None,
        ),
    ]

    async def call(name: str, method: str, path: str, headers: dict[str, str], body: Any) -> str:
        response = await gateway.http.request(method, path, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        return name

    return list(await asyncio.gather(*(call(*c) for c in calls)))


async def drive_passport_readings(gateway: Gateway, mint: Mint) -> list[str]:
    """Typed MRZ lines with a wrong check digit, garbage, and a file that is no image."""
    typed = "\n".join(mint.mrz(corrupt=True))
    forms: list[tuple[str, dict[str, Any], Any, int]] = [
        ("typed lines, wrong check digit", {"mrz": typed}, None, 422),
        ("typed garbage", {"mrz": mint.sentence()}, None, 422),
        (
            "the lines and an image",
            {"mrz": typed},
            {"image": ("p.png", b"\x89PNG", "image/png")},
            422,
        ),
        (
            "an image that is not one",
            {},
            {"image": (f"{mint.surname}.jpg", mint.sentence().encode(), "image/jpeg")},
            415,
        ),
    ]

    async def read(name: str, data: dict[str, Any], files: Any, status: int) -> str:
        # Every part as multipart/form-data, the typed lines too (as the web app sends them).
        parts = {**{k: (None, v) for k, v in data.items()}, **(files or {})}
        response = await gateway.http.post(
            "/v1/passport-readings", files=parts, headers=applicant()
        )
        assert response.status_code == status, (name, response.text)
        return name

    return list(await asyncio.gather(*(read(*form) for form in forms)))


async def drive_uploads(gateway: Gateway, mint: Mint) -> list[str]:
    """Files that are not PDF, JPEG or PNG, an unknown kind, a missing file."""
    text = mint.sentence().encode()
    pdf = b"%PDF-1.7\n" + text + b"\n%%EOF\n"
    name = f"{mint.surname}_{mint.passport}_{mint.date_of_birth.isoformat()}.pdf"
    forms: list[tuple[str, dict[str, Any], Any, int | None]] = [
        ("text named as a PDF", {"kind": "health"}, {"file": (name, text, "application/pdf")}, 415),
        (
            "an unknown kind",
            {"kind": mint.sentence()},
            {"file": (name, pdf, "application/pdf")},
            422,
        ),
        ("no file", {"kind": "health", "note": mint.sentence()}, None, 422),
        (
            "an empty file",
            {"kind": "health"},
            {"file": (name, b"", "application/pdf")},
            None,
        ),
    ]

    async def upload(label: str, data: dict[str, Any], files: Any, status: int | None) -> str:
        headers = applicant()
        if files is None:  # a form without a file part
            response = await gateway.http.post(
                "/v1/uploads", data=data, headers=headers, files={"other": ("x", b"x")}
            )
        else:
            response = await gateway.http.post(
                "/v1/uploads", data=data, files=files, headers=headers
            )
        if status is None:
            assert 400 <= response.status_code < 500, (label, response.text)
        else:
            assert response.status_code == status, (label, response.text)
        return label

    return list(await asyncio.gather(*(upload(*form) for form in forms)))


def poison_payloads(mint: Mint, case: str) -> dict[str, tuple[str, bytes]]:
    """Per command topic: a message of a real type that its contract refuses, the
    personal values in the fields that fail and in fields the contract does not know."""
    person = mint.person()
    sentence = mint.sentence()
    form = personal_body(mint, person)
    form["applicant"]["date_of_birth"] = sentence
    form["applicant"]["passport"] = mint.passport  # not an object
    form["position"]["annual_salary_cny"] = f"{mint.phone} CNY"
    form["employer"] = {"uscc": [mint.employer_contact]}
    unknown = {"remarks": sentence, "holder": {"name": mint.surname, "born": mint.date_of_birth}}
    payloads: dict[str, tuple[str, dict[str, Any]]] = {
        "applications.commands": (
            SubmitApplication.TYPE,
            {
                "application_id": case,
                "submitted_by": {"sub": "pd-test", "role": mint.given_names, "uscc": [mint.email]},
                "submitted_at": mint.date_of_birth.isoformat() + " " + mint.surname,
                "form": form,
                **unknown,
            },
        ),
        "identity.commands": (
            VerifyIdentity.TYPE,
            {
                "application_id": case,
                "nationality": {"surname": mint.surname},
                "passport_number": mint.passport,
                "passport_expires_on": mint.passport,
                "date_of_birth": sentence,
                "employer_uscc": [mint.employer_contact],
                "documents": mint.address,
                "application_date": mint.phone,
                **unknown,
            },
        ),
        "work-permit.commands": (
            AssessWorkPermit.TYPE,
            {
                "application_id": case,
                "person_ref": {"passport": mint.passport, "name": mint.surname},
                "date_of_birth": mint.given_names,
                "passport_expires_on": mint.date_of_birth.isoformat() + "T" + mint.surname,
                "employer": {"uscc": {"contact": mint.employer_contact}, "name": 7},
                "position": sentence,
                "qualifications": [mint.email],
                "documents": [{"kind": mint.address}],
                "application_date": mint.phone,
                **unknown,
            },
        ),
        "residence-permit.commands": (
            AssessResidencePermit.TYPE,
            {
                "application_id": case,
                "person_ref": [mint.passport],
                "date_of_birth": f"{mint.date_of_birth.isoformat()}/{mint.given_names}",
                "passport_expires_on": mint.email,
                "registration_number": {"address": mint.address},
                "documents": mint.employer_contact,
                "application_date": sentence,
                **unknown,
            },
        ),
    }
    return {
        topic: (ce_type, json.dumps(payload, default=str).encode())
        for topic, (ce_type, payload) in payloads.items()
    }


async def publish_poison(services: RunningServices, mint: Mint) -> dict[str, str]:
    """Two poison messages on each command topic; the topic each key was put on."""
    prefix = services.env["ONEWINDOW_TOPIC_PREFIX"]
    producer = AIOKafkaProducer(
        bootstrap_servers=services.infrastructure.kafka_bootstrap, acks="all"
    )
    sent: dict[str, str] = {}
    await producer.start()
    try:
        for topic in COMMAND_TOPICS:
            refused_case, garbled_case = f"pd-{uuid.uuid4()}", f"pd-{uuid.uuid4()}"
            ce_type, refused = poison_payloads(mint, refused_case)[topic]
            garbled = b"\xff\xfe not JSON: " + mint.sentence().encode() + b" {"
            for case, value in ((refused_case, refused), (garbled_case, garbled)):
                envelope = new_envelope(ce_type, source="onewindow/pd-test", correlation_id=case)
                await producer.send_and_wait(
                    prefix + topic, value, key=case.encode(), headers=build_headers(envelope)
                )
                sent[case] = topic
    finally:
        await producer.stop()
    return sent


async def dead_letters(services: RunningServices, keys: set[str]) -> list[Any]:
    """Every record of every `.dlq` topic of the namespace, from the start, once the
    dead letters of `keys` are all among them."""
    prefix = services.env["ONEWINDOW_TOPIC_PREFIX"]
    found: list[Any] = []
    deadline = time.monotonic() + WITHIN_S
    async with BusReader(
        services.infrastructure.kafka_bootstrap,
        [topic.dlq for topic in REGISTRY],
        topic_prefix=prefix,
        client_id="pd-test",
    ) as reader:
        await reader.from_beginning()
        while True:
            found += [record async for record in reader.until_end()]
            missing = keys - {(r.key or b"").decode() for r in found}
            if not missing:
                return found
            assert time.monotonic() < deadline, f"never dead-lettered: {sorted(missing)}"
            await asyncio.sleep(0.3)


@dataclass
class ConsoleStream:
    """The console's live stream, read as the operators' page reads it."""

    lines: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self, http: httpx.AsyncClient, operator: dict[str, str]) -> None:
        async with http.stream("GET", "/ops/api/events", headers=operator) as response:
            assert response.status_code == 200
            event, data = "message", []
            async for line in response.aiter_lines():
                self.lines.append(line)
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    if event == "ready":
                        self.ready.set()
                    elif event == "message":
                        self.messages.append(json.loads("\n".join(data)))
                    event, data = "message", []

    async def until_dead_letters(self, keys: set[str]) -> None:
        deadline = time.monotonic() + WITHIN_S
        while keys - {m["key"] for m in self.messages if m["topic"].endswith(".dlq")}:
            assert time.monotonic() < deadline, "the console never showed the dead letters"
            await asyncio.sleep(0.2)


CLI_AT_ONCE = asyncio.Semaphore(3)  # two cores


async def ops_cli(services: RunningServices, *args: str) -> str:
    """`onewindow ops ARGS` as an operator runs it: a process of its own, on the namespace."""
    env = {**os.environ, **services.env, "COLUMNS": "400", "NO_COLOR": "1"}
    async with CLI_AT_ONCE:
        process = await asyncio.create_subprocess_exec(
            str(CLI),
            "ops",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        started = time.monotonic()
        out, err = await process.communicate()
        print(f"ops {' '.join(args)}: {time.monotonic() - started:.1f} s")
    assert process.returncode == 0, (args, out.decode(), err.decode())
    return out.decode() + err.decode()


def log_files(services: RunningServices) -> list[Path]:
    """The log of every process of the session: each service's, and the mail sink's."""
    files = [managed.log_file for managed in services.processes.values()]
    mailsink = Managed(f"{services.infrastructure.namespace}-mailsink").log_file
    return [*files, *([mailsink] if mailsink.exists() else [])]


async def test_no_submitted_personal_value_reaches_a_log_a_dead_letter_or_an_operators_view(
    services: RunningServices, gateway: Gateway
) -> None:
    began = time.monotonic()
    mint = Mint()
    needles = mint.needles()
    console = ConsoleStream()
    stream_http = httpx.AsyncClient(base_url=services.gateway, timeout=httpx.Timeout(10, read=60))
    reading = asyncio.create_task(console.read(stream_http, gateway.operator))
    try:
        await asyncio.wait_for(console.ready.wait(), 20)

        # The whole bad-input suite, with the minted values, and the poison.
        suite = await asyncio.gather(
            drive_applications(gateway, mint),
            drive_prechecks(gateway, mint),
            drive_registry(gateway, mint),
            drive_passport_readings(gateway, mint),
            drive_uploads(gateway, mint),
        )
        driven = dict(zip(SUITE, suite, strict=True))
        poison = await publish_poison(services, mint)
        phases = {"bad input": time.monotonic() - began}
        records = await dead_letters(services, set(poison))
        await console.until_dead_letters(set(poison))
        overview = await gateway.http.get("/ops/api/overview", headers=gateway.operator)
        assert overview.status_code == 200, overview.text
        phases["dead letters"] = time.monotonic() - began - sum(phases.values())
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        await stream_http.aclose()

    prefix = services.env["ONEWINDOW_TOPIC_PREFIX"]
    ours = [r for r in records if (r.key or b"").decode() in poison]
    ids = [f"{r.topic.removeprefix(prefix)}/{r.partition}/{r.offset}" for r in ours]
    assert sorted(i.split("/")[0] for i in ids) == sorted(f"{t}.dlq" for t in poison.values())
    errors = [dict(r.headers)["x-dlq-error"].decode() for r in ours]
    assert all("validation errors for" in e for e in errors), errors
    shown_by_console = [m for m in console.messages if m["key"] in poison]
    assert all(m["problem"] for m in shown_by_console if m["topic"].endswith(".dlq"))
    listed, *shown = await asyncio.gather(
        ops_cli(services, "dlq", "list", "--all"),
        *(ops_cli(services, "dlq", "show", i) for i in ids),
    )
    assert all(i in listed for i in ids), listed
    phases["CLI"] = time.monotonic() - began - sum(phases.values())
    await asyncio.sleep(1.0)  # what a service logs just after answering

    scanned = Scanned()
    for path in log_files(services):
        lines = path.read_text("utf-8", errors="replace").splitlines()
        scanned.scan("log lines", path.name, lines, needles)
        scanned.counts["log files"] = scanned.counts.get("log files", 0) + 1
    for record in records:
        headers = [
            f"{name}: {(value or b'').decode('utf-8', 'replace')}" for name, value in record.headers
        ]
        scanned.scan("dead-letter headers", f"{record.topic}/{record.offset}", headers, needles)
    scanned.counts["dead letters"] = len(records)
    scanned.scan("console stream lines", "/ops/api/events", console.lines, needles)
    scanned.scan("console answers", "/ops/api/overview", [overview.text], needles)
    scanned.scan("CLI answers", "ops dlq list --all", [listed], needles)
    scanned.scan("CLI answers", "ops dlq show", shown, needles)

    print(f"\nminted: {mint.sentence()}")
    print("driven: " + "; ".join(f"{k}: {len(v)}" for k, v in driven.items()))
    print(f"poison messages: {len(poison)}; their dead letters: {', '.join(ids)}")
    print("their x-dlq-error headers:\n  " + "\n  ".join(errors))
    print(f"console messages: {len(console.messages)}")
    print("scanned: " + ", ".join(f"{count} {what}" for what, count in scanned.counts.items()))
    took = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in phases.items())
    print(f"took {time.monotonic() - began:.1f} s ({took})")
    for what in ("log files", "log lines", "dead-letter headers", "console stream lines"):
        assert scanned.counts.get(what, 0) > 0, what
    assert scanned.counts["CLI answers"] == 1 + len(ids)
    assert not scanned.leaks, f"{len(scanned.leaks)} personal values found, e.g.:\n" + "\n".join(
        scanned.leaks[:12]
    )
