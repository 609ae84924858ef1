"""Registry records and applications as a user of API.md makes them, in one place.

The demo, the end-to-end, operator and browser tests and the benchmark all seed the
system the same way: a clerk records an employer and a person's digitised
certificates, then the applicant submits a combined application through the gateway.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from onewindow.cli.token import DEFAULT_AUDIENCE, DEVELOPMENT_JWT_SECRET, make_token
from onewindow.contracts.v1.registry import (
    CertificateRecord,
    EmployerRecord,
    Holder,
    WatchlistEntry,
)
from onewindow.runtime.validation.uscc import make_uscc

FINAL = frozenset({"approved", "refused", "withdrawn"})
DOCUMENT_KINDS = ("degree", "criminal_record", "health")


class SeedingError(RuntimeError):
    """The gateway refused a write that seeding needs."""


def token(
    role: str,
    sub: str,
    uscc: str | None = None,
    *,
    ahead: timedelta = timedelta(0),
    ttl: timedelta = timedelta(hours=1),
    passport: str | None = None,
) -> str:
    """A development token valid for `ttl` past `ahead` (services whose clock was moved
    forward check its expiry on their own clock); `passport` (`NAT:NUMBER`) makes an
    applicant's token a verified applicant's."""
    return make_token(
        role=role,
        sub=sub,
        uscc=uscc,
        ttl_s=int((ttl + ahead).total_seconds()),
        secret=DEVELOPMENT_JWT_SECRET,
        audience=DEFAULT_AUDIENCE,
        passport=passport,
    )


def auth(
    role: str,
    sub: str,
    uscc: str | None = None,
    *,
    ahead: timedelta = timedelta(0),
    ttl: timedelta = timedelta(hours=1),
    passport: str | None = None,
) -> dict[str, str]:
    bearer = token(role, sub, uscc, ahead=ahead, ttl=ttl, passport=passport)
    return {"Authorization": f"Bearer {bearer}"}


def new_uscc() -> str:
    """A fresh USCC with a valid GB 32100-2015 check character."""
    body = uuid.uuid4().hex[:7].upper().translate(str.maketrans("IOSVZ", "JPTWY"))
    return make_uscc("91310104MA" + body)


def new_passport(prefix: str = "E") -> str:
    return prefix + uuid.uuid4().hex[:8].upper()


@dataclass
class Person:
    """An applicant, their employer, and the registry records a clerk has for them."""

    passport: str = field(default_factory=new_passport)
    nationality: str = "NLD"
    uscc: str = field(default_factory=new_uscc)
    sub: str = field(default_factory=lambda: f"applicant-{uuid.uuid4().hex[:6]}")
    date_of_birth: date = date(1984, 8, 12)
    passport_expires_on: date = date(2033, 10, 31)
    documents: dict[str, str] = field(default_factory=dict)
    ahead: timedelta = timedelta(0)  # how far the services' clock was moved
    # Whether the person's account is verified for their passport (a `passport` claim).
    verified: bool = False

    @property
    def headers(self) -> dict[str, str]:
        passport = f"{self.nationality}:{self.passport}" if self.verified else None
        return auth("applicant", self.sub, ahead=self.ahead, passport=passport)

    @property
    def employer_headers(self) -> dict[str, str]:
        """A token of the person's employer's HR account."""
        return auth("employer", f"hr-{self.uscc[-6:].lower()}", self.uscc, ahead=self.ahead)

    @property
    def email(self) -> str:
        return f"{self.sub}@example.org"


def employer_record() -> dict[str, Any]:
    """The clerk's `PUT /v1/registry/employers/{uscc}` body (the registry contract's)."""
    record = EmployerRecord(name="Xuhui Research Ltd", licence_valid_until=date(2031, 12, 31))
    return record.model_dump(mode="json")


def certificate_records(
    person: Person, *, health_issued: date, today: date | None = None
) -> dict[str, dict[str, Any]]:
    """The clerk's `PUT /v1/registry/certificates/{id}` bodies, by document kind."""
    today = today or date.today()
    holder = Holder(nationality=person.nationality, passport_number=person.passport)
    records = {
        "degree": CertificateRecord(
            kind="degree",
            holder=holder,
            issued_on=date(2010, 7, 1),
            details={"level": "doctorate"},
            issuer="Leiden University",
        ),
        "criminal_record": CertificateRecord(
            kind="criminal_record",
            holder=holder,
            issued_on=today - timedelta(days=60),
            valid_until=today + timedelta(days=660),
            issuer="Justis, Netherlands",
        ),
        "health": CertificateRecord(
            kind="health",
            holder=holder,
            issued_on=health_issued,
            issuer="Shanghai International Travel Healthcare Center",
        ),
    }
    return {kind: record.model_dump(mode="json") for kind, record in records.items()}


def application_body(
    person: Person,
    *,
    today: date,
    contract_end: date | None = None,
    documents: tuple[str, ...] | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """A fast-track Category-A application (`POST /v1/applications`) citing the registry;
    `account` is the employee's account an employer names."""
    kinds = documents if documents is not None else tuple(person.documents)
    named = {"account": account} if account is not None else {}
    return {
        "applicant": {
            **named,
            "surname": "DE JONG",
            "given_names": "ANNA",
            "sex": "F",
            "date_of_birth": person.date_of_birth.isoformat(),
            "nationality": person.nationality,
            "passport": {
                "number": person.passport,
                "expires_on": person.passport_expires_on.isoformat(),
            },
            "email": person.email,
        },
        "employer": {"uscc": person.uscc, "contact_email": "hr@example.com"},
        "position": {
            "title": "Chief Scientist",
            "annual_salary_cny": 900_000,
            "contract_start": (today + timedelta(days=30)).isoformat(),
            "contract_end": (contract_end or today + timedelta(days=3 * 365)).isoformat(),
            "months_in_china_per_year": 12,
        },
        "qualifications": {
            "education": "doctorate",
            "experience_years": 15,
            "hsk_level": 0,
            "chinese_taught_degree": False,
            "bonuses": ["top_university", "patent"],
        },
        "residence": {
            "address": "188 Caoxi Road, Xuhui District, Shanghai",
            "registration_number": "XH-2026-000123",
        },
        "documents": [{"kind": k, "registry_id": person.documents[k]} for k in kinds],
        "commitments": {"criminal_record": False},
        "channel": "online",
        "language": "en",
    }


def _written(response: httpx.Response) -> None:
    if response.status_code not in (200, 201, 202):
        raise SeedingError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text}"
        )


class Gateway:
    """The public HTTP API, driven with httpx like any client of API.md."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.clerk = auth("clerk", "clerk-1")
        self.officer = auth("officer", "officer-olga")
        self.operator = auth("operator", "operator-1")

    async def close(self) -> None:
        await self.http.aclose()

    async def register(
        self,
        person: Person,
        *,
        health_issued: date | None = None,
        kinds: tuple[str, ...] = DOCUMENT_KINDS,
    ) -> None:
        """A clerk records the employer and the person's digitised certificates."""
        issued = health_issued or date.today() - timedelta(days=30)
        _written(
            await self.http.put(
                f"/v1/registry/employers/{person.uscc}", json=employer_record(), headers=self.clerk
            )
        )
        records = certificate_records(person, health_issued=issued)
        for kind in kinds:
            certificate_id = f"{kind}-{person.passport}"
            _written(
                await self.http.put(
                    f"/v1/registry/certificates/{certificate_id}",
                    json=records[kind],
                    headers=self.clerk,
                )
            )
            person.documents[kind] = certificate_id

    async def watchlist(
        self, person: Person, note: str = "check with the exit-entry bureau"
    ) -> None:
        _written(
            await self.http.put(
                f"/v1/registry/watchlist/{person.nationality}/{person.passport}",
                json=WatchlistEntry(note=note).model_dump(mode="json"),
                headers=self.clerk,
            )
        )

    def application(
        self,
        person: Person,
        *,
        today: date,
        contract_end: date | None = None,
        documents: tuple[str, ...] | None = None,
        account: str | None = None,
    ) -> dict[str, Any]:
        return application_body(
            person, today=today, contract_end=contract_end, documents=documents, account=account
        )

    async def submit(
        self,
        person: Person,
        body: dict[str, Any] | None = None,
        key: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Submit as the person (or as whoever `headers` name, e.g. its employer)."""
        body = body if body is not None else self.application(person, today=date.today())
        caller = headers if headers is not None else person.headers
        sent = {**caller, "Idempotency-Key": key or str(uuid.uuid4())}
        return await self.http.post("/v1/applications", json=body, headers=sent)

    async def submit_case(self, person: Person) -> str:
        """Submit the person's fast-track application; the new case's id."""
        response = await self.submit(person)
        _written(response)
        return str(response.json()["id"])

    async def case(self, person: Person | None, application_id: str) -> dict[str, Any]:
        """The case as `person` sees it (as an operator sees it when `person` is None)."""
        view = await self._view(person, application_id)
        if view is None:
            raise SeedingError(f"GET case {application_id}: 404, the gateway shows no such case")
        return view

    async def _view(self, person: Person | None, application_id: str) -> dict[str, Any] | None:
        """The case's view, or None while the gateway does not show it yet (views follow events)."""
        headers = person.headers if person is not None else self.operator
        response = await self.http.get(f"/v1/applications/{application_id}", headers=headers)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SeedingError(f"GET case {application_id}: {response.status_code} {response.text}")
        return dict(response.json())

    async def upload(
        self,
        person: Person,
        kind: str,
        content: bytes,
        *,
        filename: str = "scan.pdf",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Upload a scan (`POST /v1/uploads`) as the person (or whoever `headers` name);
        the answer's `{"upload_id", "sha256", "size", "media_type"}`."""
        response = await self.http.post(
            "/v1/uploads",
            files={"file": (filename, content, "application/octet-stream")},
            data={"kind": kind},
            headers=headers if headers is not None else person.headers,
        )
        _written(response)
        return dict(response.json())

    async def review(
        self,
        application_id: str,
        permit: str,
        decision: str,
        reason: str = "",
        documents: tuple[str, ...] = (),
    ) -> httpx.Response:
        """An officer's review of one permit of a case (`POST …/reviews`)."""
        body = {
            "permit": permit,
            "decision": decision,
            "reason": reason,
            "documents": list(documents),
        }
        return await self.http.post(
            f"/v1/applications/{application_id}/reviews", json=body, headers=self.officer
        )

    async def wait_for(
        self, person: Person | None, application_id: str, statuses: set[str], within_s: float = 60.0
    ) -> dict[str, Any]:
        """Poll the case until its status is one of `statuses` (and a final one is decided)."""
        deadline = asyncio.get_running_loop().time() + within_s
        view: dict[str, Any] = {}
        while asyncio.get_running_loop().time() < deadline:
            view = await self._view(person, application_id) or {}
            status = view.get("status")
            if status in statuses and (status not in FINAL or view["decision"]):
                return view
            await asyncio.sleep(0.2)
        raise AssertionError(f"case {application_id} stayed {view.get('status')}: {view}")
