"""What an end-to-end test does as a user would: tokens, registry records, applications."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from onewindow.cli.token import DEFAULT_AUDIENCE, DEVELOPMENT_JWT_SECRET, make_token
from onewindow.runtime.validation.uscc import make_uscc

FINAL = {"approved", "refused", "withdrawn"}


def token(role: str, sub: str, uscc: str | None = None, *, ahead: timedelta = timedelta(0)) -> str:
    """A development token valid for an hour past `ahead` (services whose clock was moved
    forward check its expiry on their own clock)."""
    return make_token(
        role=role,
        sub=sub,
        uscc=uscc,
        ttl_s=3600 + int(ahead.total_seconds()),
        secret=DEVELOPMENT_JWT_SECRET,
        audience=DEFAULT_AUDIENCE,
    )


def auth(
    role: str, sub: str, uscc: str | None = None, *, ahead: timedelta = timedelta(0)
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, sub, uscc, ahead=ahead)}"}


def new_uscc() -> str:
    return make_uscc(
        "91310104MA"
        + uuid.uuid4()
        .hex[:7]
        .upper()
        .replace("I", "J")
        .replace("O", "P")
        .replace("S", "T")
        .replace("V", "W")
        .replace("Z", "Y")
    )


def new_passport() -> str:
    return "E" + uuid.uuid4().hex[:8].upper()


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

    @property
    def headers(self) -> dict[str, str]:
        return auth("applicant", self.sub, ahead=self.ahead)


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
        health_issued: date,
        kinds: tuple[str, ...] = ("degree", "criminal_record", "health"),
    ) -> None:
        """A clerk records the employer and the person's digitised certificates."""
        response = await self.http.put(
            f"/v1/registry/employers/{person.uscc}",
            json={"name": "Xuhui Research Ltd", "licence_valid_until": "2031-12-31"},
            headers=self.clerk,
        )
        assert response.status_code in (200, 201), response.text
        holder = {"nationality": person.nationality, "passport_number": person.passport}
        records = {
            "degree": {
                "kind": "degree",
                "issued_on": "2010-07-01",
                "valid_until": None,
                "details": {"level": "doctorate"},
                "issuer": "Leiden University",
            },
            "criminal_record": {
                "kind": "criminal_record",
                "issued_on": "2025-11-01",
                "valid_until": "2027-11-01",
                "details": {},
                "issuer": "Justis, Netherlands",
            },
            "health": {
                "kind": "health",
                "issued_on": health_issued.isoformat(),
                "valid_until": None,
                "details": {},
                "issuer": "Shanghai International Travel Healthcare Center",
            },
        }
        for kind in kinds:
            certificate_id = f"{kind}-{person.passport}"
            response = await self.http.put(
                f"/v1/registry/certificates/{certificate_id}",
                json={**records[kind], "holder": holder},
                headers=self.clerk,
            )
            assert response.status_code in (200, 201), response.text
            person.documents[kind] = certificate_id

    def application(
        self,
        person: Person,
        *,
        today: date,
        contract_end: date | None = None,
        documents: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        kinds = documents if documents is not None else tuple(person.documents)
        return {
            "applicant": {
                "surname": "DE JONG",
                "given_names": "ANNA",
                "sex": "F",
                "date_of_birth": person.date_of_birth.isoformat(),
                "nationality": person.nationality,
                "passport": {
                    "number": person.passport,
                    "expires_on": person.passport_expires_on.isoformat(),
                },
                "email": f"{person.sub}@example.org",
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

    async def submit(
        self, person: Person, body: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        headers = {**person.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return await self.http.post("/v1/applications", json=body, headers=headers)

    async def case(self, person: Person, application_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/applications/{application_id}", headers=person.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def wait_for(
        self, person: Person, application_id: str, statuses: set[str], within_s: float = 60.0
    ) -> dict[str, Any]:
        """Poll the case until its status is one of `statuses` (and a final one is decided)."""
        deadline = asyncio.get_running_loop().time() + within_s
        view: dict[str, Any] = {}
        while asyncio.get_running_loop().time() < deadline:
            view = await self.case(person, application_id)
            if view["status"] in statuses and (view["status"] not in FINAL or view["decision"]):
                return view
            await asyncio.sleep(0.2)
        raise AssertionError(f"case {application_id} stayed {view.get('status')}: {view}")
