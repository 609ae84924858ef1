"""The bench's applicants: fast-track Category-A cases, their registry records, their forms.

An application is a (person, employer) pair used once, so no application is a
duplicate of another (DOMAIN.md: a duplicate is a second *open* case of the same
person with the same employer). A clerk records the employers and each person's
three digitised certificates through the gateway, as `make run` users and the
end-to-end tests do. Pairing keeps the registry small: P persons and E employers
give P × E applications for 3 P + E registry writes, and the identity service's
streams are per (person, employer), so no two applications contend for one stream.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from onewindow.cli import seeding

TOKEN_TTL_S = 4 * 3600


def bearer(role: str, sub: str, uscc: str | None = None) -> dict[str, str]:
    """An Authorization header with a development token, valid for the whole run."""
    return seeding.auth(role, sub, uscc, ttl=timedelta(seconds=TOKEN_TTL_S))


new_uscc = seeding.new_uscc


@dataclass(frozen=True)
class Person:
    """One person of the bench and their token."""

    passport: str
    sub: str
    headers: dict[str, str]
    nationality: str = "NLD"

    def certificate_id(self, kind: str) -> str:
        return f"{kind}-{self.passport}"


@dataclass(frozen=True)
class Applicant:
    """A person applying for a job with one employer: one application of the bench."""

    person: Person
    uscc: str

    @property
    def headers(self) -> dict[str, str]:
        return self.person.headers


def make_people(count: int) -> list[Person]:
    people = []
    for _ in range(count):
        sub = f"bench-{uuid.uuid4().hex[:10]}"
        passport = "E" + uuid.uuid4().hex[:8].upper()
        people.append(Person(passport=passport, sub=sub, headers=bearer("applicant", sub)))
    return people


def pairs(people: Sequence[Person], employers: Sequence[str]) -> list[Applicant]:
    """Every (person, employer) pair, each person's pairs spread through the list."""
    return [Applicant(person, uscc) for uscc in employers for person in people]


def _as_seeded(person: Person, uscc: str = "") -> seeding.Person:
    return seeding.Person(
        passport=person.passport,
        nationality=person.nationality,
        uscc=uscc,
        sub=person.sub,
        documents={kind: person.certificate_id(kind) for kind in seeding.DOCUMENT_KINDS},
    )


def certificates(person: Person, today: date) -> dict[str, dict[str, Any]]:
    """The three certificates a fast-track Category-A case cites, all current."""
    return seeding.certificate_records(
        _as_seeded(person), health_issued=today - timedelta(days=30), today=today
    )


def application_form(applicant: Applicant, today: date) -> dict[str, Any]:
    """The body of `POST /v1/applications` for a Category-A case that is fast-tracked."""
    return seeding.application_body(_as_seeded(applicant.person, applicant.uscc), today=today)


async def seed_registry(
    http: httpx.AsyncClient,
    employers: Sequence[str],
    people: Sequence[Person],
    today: date,
    *,
    concurrency: int = 16,
    progress: Callable[[int], None] = lambda _: None,
) -> int:
    """Record the employers and every person's certificates as a clerk; return the writes."""
    clerk = bearer("clerk", "bench-clerk")

    async def put(path: str, body: dict[str, Any]) -> None:
        for attempt in range(5):
            response = await http.put(path, json=body, headers=clerk)
            if response.status_code in (200, 201):
                return
            if response.status_code < 500 or attempt == 4:
                raise RuntimeError(f"PUT {path} answered {response.status_code}: {response.text}")
            await asyncio.sleep(0.2 * 2**attempt)

    for uscc in employers:
        await put(
            f"/v1/registry/employers/{uscc}",
            {"name": "Xuhui Research Ltd", "licence_valid_until": "2031-12-31"},
        )
        progress(1)
    queue: asyncio.Queue[Person] = asyncio.Queue()
    for person in people:
        queue.put_nowait(person)

    async def clerk_at_work() -> None:
        while not queue.empty():
            person = queue.get_nowait()
            for kind, record in certificates(person, today).items():
                await put(f"/v1/registry/certificates/{person.certificate_id(kind)}", record)
                progress(1)

    await asyncio.gather(*(clerk_at_work() for _ in range(concurrency)))
    return len(employers) + 3 * len(people)


async def clerks_at_work(
    http: httpx.AsyncClient, clerks: int, today: date, stop: asyncio.Event
) -> dict[str, Any]:
    """`clerks` clerks, each recording a new person's certificates one PUT after another
    until `stop` is set; every answer counted as it came (no retries)."""
    answers: Counter[int] = Counter()
    errors: Counter[str] = Counter()

    async def clerk(number: int) -> None:
        headers = bearer("clerk", f"bench-clerk-{number}")
        while not stop.is_set():
            [person] = make_people(1)
            for kind, record in certificates(person, today).items():
                path = f"/v1/registry/certificates/{person.certificate_id(kind)}"
                try:
                    response = await http.put(path, json=record, headers=headers)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                answers[response.status_code] += 1

    await asyncio.gather(*(clerk(n) for n in range(clerks)))
    return {
        "clerks": clerks,
        "writes": sum(answers.values()),
        "status": {str(code): count for code, count in sorted(answers.items())},
        "server_errors": sum(count for code, count in answers.items() if code >= 500),
        "transport_errors": dict(errors),
    }
