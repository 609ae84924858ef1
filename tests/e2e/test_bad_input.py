"""Bad input at the door: the right status and problem type, and nothing stored."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from onewindow.cli.seeding import Gateway, Person, auth
from onewindow.runtime.validation.mrz import build_td3

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TODAY = date.today()
PROBLEMS = "https://onewindow.example/problems/"
Body = dict[str, Any]


def with_mrz(body: Body, corrupt: bool) -> Body:
    applicant = body["applicant"]
    lines = build_td3(
        surname=applicant["surname"],
        given_names=applicant["given_names"],
        passport_number=applicant["passport"]["number"],
        nationality=applicant["nationality"],
        date_of_birth=date.fromisoformat(applicant["date_of_birth"]),
        expires_on=date.fromisoformat(applicant["passport"]["expires_on"]),
        sex="F",
    )
    if corrupt:  # the passport number's check digit (position 10 of line 2)
        digit = lines[1][9]
        lines = (lines[0], lines[1][:9] + str((int(digit) + 1) % 10) + lines[1][10:])
    applicant["passport"]["mrz"] = list(lines)
    return body


def changed(edit: Callable[[Body], None]) -> Callable[[Body], Body]:
    def apply(body: Body) -> Body:
        body = copy.deepcopy(body)
        edit(body)
        return body

    return apply


def set_in(path: str, value: Any) -> Callable[[Body], None]:
    def edit(body: Body) -> None:
        *parents, last = path.split(".")
        for key in parents:
            body = body[key]
        body[last] = value

    return edit


def reversed_contract(body: Body) -> None:
    position = body["position"]
    position["contract_start"], position["contract_end"] = (
        position["contract_end"],
        position["contract_start"],
    )


# (name, edit of a valid body, headers change, raw body, status, problem type)
ROWS: list[tuple[str, Callable[[Body], Body], dict[str, str], bytes | None, int, str]] = [
    (
        "wrong MRZ check digit",
        lambda b: with_mrz(copy.deepcopy(b), corrupt=True),
        {},
        None,
        422,
        "validation-error",
    ),
    (
        "bad USCC check character",
        changed(set_in("employer.uscc", "91310104MA1FL5KX1A")),
        {},
        None,
        422,
        "validation-error",
    ),
    (
        "unknown country",
        changed(set_in("applicant.nationality", "XXY")),
        {},
        None,
        422,
        "validation-error",
    ),
    ("reversed contract dates", changed(reversed_contract), {}, None, 422, "validation-error"),
    (
        "passport expired before today",
        changed(set_in("applicant.passport.expires_on", (TODAY - timedelta(days=1)).isoformat())),
        {},
        None,
        422,
        "validation-error",
    ),
    (
        "salary out of range",
        changed(set_in("position.annual_salary_cny", -5)),
        {},
        None,
        422,
        "validation-error",
    ),
    (
        "huge body",
        lambda b: b,
        {},
        b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}',
        413,
        "payload-too-large",
    ),
    (
        "wrong content type",
        lambda b: b,
        {"Content-Type": "text/plain"},
        b"hello",
        415,
        "unsupported-media-type",
    ),
    (
        "missing Idempotency-Key",
        lambda b: b,
        {"Idempotency-Key": ""},
        None,
        400,
        "idempotency-key-missing",
    ),
    ("bad token", lambda b: b, {"Authorization": "Bearer not-a-jwt"}, None, 401, "unauthorized"),
    ("wrong role", lambda b: b, auth("clerk", "clerk-1"), None, 403, "forbidden"),
]


@pytest.mark.parametrize(
    ("name", "edit", "headers", "raw", "status", "problem"), ROWS, ids=[row[0] for row in ROWS]
)
async def test_malformed_requests_are_refused_with_a_problem_and_nothing_is_stored(
    gateway: Gateway,
    name: str,
    edit: Callable[[Body], Body],
    headers: dict[str, str],
    raw: bytes | None,
    status: int,
    problem: str,
) -> None:
    person = Person()
    person.documents = {"degree": "degree-x"}
    valid = gateway.application(person, today=TODAY)
    request_headers = {
        **person.headers,
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
        **headers,
    }
    if not request_headers["Idempotency-Key"]:
        del request_headers["Idempotency-Key"]
    content = raw if raw is not None else json.dumps(edit(valid)).encode()

    response = await gateway.http.post("/v1/applications", content=content, headers=request_headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == PROBLEMS + problem
    assert body["status"] == status
    assert "Traceback" not in response.text
    await asyncio.sleep(0.5)
    listed = await gateway.http.get("/v1/applications", headers=person.headers)
    assert listed.json()["items"] == []  # nothing was stored for this applicant
