"""Seeding cases through the API for the browser tests: a clerk records the person, the
applicant submits through the gateway.

The lines follow tests/e2e/support.py; it is not imported from here because, with
`--import-mode=importlib`, a sibling package of `tests/` is not importable when another
`tests` package (services/gateway/tests) was collected first.
"""

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
TODAY = date.today()
RECENT = TODAY - timedelta(days=30)


def token(role: str, sub: str) -> str:
    """A development token the running gateway accepts, valid for an hour."""
    return make_token(
        role=role,
        sub=sub,
        uscc=None,
        ttl_s=3600,
        secret=DEVELOPMENT_JWT_SECRET,
        audience=DEFAULT_AUDIENCE,
    )


def auth(role: str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, sub)}"}


def _uscc() -> str:
    body = uuid.uuid4().hex[:7].upper()
    for letter, allowed in (("I", "J"), ("O", "P"), ("S", "T"), ("V", "W"), ("Z", "Y")):
        body = body.replace(letter, allowed)
    return make_uscc("91310104MA" + body)


@dataclass
class Person:
    passport: str = field(default_factory=lambda: "E" + uuid.uuid4().hex[:8].upper())
    nationality: str = "NLD"
    uscc: str = field(default_factory=_uscc)
    sub: str = field(default_factory=lambda: f"applicant-{uuid.uuid4().hex[:6]}")
    documents: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return auth("applicant", self.sub)


class Gateway:
    """The public HTTP API, as a client of API.md drives it."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.clerk = auth("clerk", "clerk-1")
        self.operator = auth("operator", "operator-1")

    async def close(self) -> None:
        await self.http.aclose()

    async def register(self, person: Person, *, health_issued: date = RECENT) -> None:
        response = await self.http.put(
            f"/v1/registry/employers/{person.uscc}",
            json={"name": "Xuhui Research Ltd", "licence_valid_until": "2031-12-31"},
            headers=self.clerk,
        )
        assert response.status_code in (200, 201), response.text
        holder = {"nationality": person.nationality, "passport_number": person.passport}
        records = {
            "degree": ("2010-07-01", None, {"level": "doctorate"}, "Leiden University"),
            "criminal_record": ("2025-11-01", "2027-11-01", {}, "Justis, Netherlands"),
            "health": (health_issued.isoformat(), None, {}, "Shanghai Travel Healthcare"),
        }
        for kind, (issued, valid, details, issuer) in records.items():
            certificate = f"{kind}-{person.passport}"
            response = await self.http.put(
                f"/v1/registry/certificates/{certificate}",
                json={
                    "kind": kind,
                    "issued_on": issued,
                    "valid_until": valid,
                    "details": details,
                    "issuer": issuer,
                    "holder": holder,
                },
                headers=self.clerk,
            )
            assert response.status_code in (200, 201), response.text
            person.documents[kind] = certificate

    async def watchlist(self, person: Person) -> None:
        response = await self.http.put(
            f"/v1/registry/watchlist/{person.nationality}/{person.passport}",
            json={"note": "check with the exit-entry bureau"},
            headers=self.clerk,
        )
        assert response.status_code in (200, 201), response.text

    @staticmethod
    def application(person: Person) -> dict[str, Any]:
        return {
            "applicant": {
                "surname": "DE JONG",
                "given_names": "ANNA",
                "sex": "F",
                "date_of_birth": "1984-08-12",
                "nationality": person.nationality,
                "passport": {"number": person.passport, "expires_on": "2033-10-31"},
                "email": f"{person.sub}@example.org",
            },
            "employer": {"uscc": person.uscc, "contact_email": "hr@example.com"},
            "position": {
                "title": "Chief Scientist",
                "annual_salary_cny": 900_000,
                "contract_start": (TODAY + timedelta(days=30)).isoformat(),
                "contract_end": (TODAY + timedelta(days=3 * 365)).isoformat(),
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
            "documents": [{"kind": k, "registry_id": v} for k, v in person.documents.items()],
            "commitments": {"criminal_record": False},
            "channel": "online",
            "language": "en",
        }

    async def submit(self, person: Person) -> str:
        headers = {**person.headers, "Idempotency-Key": str(uuid.uuid4())}
        response = await self.http.post(
            "/v1/applications", json=self.application(person), headers=headers
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def case(self, application_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/applications/{application_id}", headers=self.operator)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def wait_for(
        self, application_id: str, statuses: set[str], within_s: float = 60.0
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + within_s
        view: dict[str, Any] = {}
        while asyncio.get_running_loop().time() < deadline:
            view = await self.case(application_id)
            if view["status"] in statuses and (view["status"] not in FINAL or view["decision"]):
                return view
            await asyncio.sleep(0.2)
        raise AssertionError(f"case {application_id} stayed {view.get('status')}: {view}")
