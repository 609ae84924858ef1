"""The registry's internal HTTP API on the real database, the service's lifespan running."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.identity.bootstrap import bootstrap
from onewindow.identity.settings import IdentitySettings
from onewindow.runtime.validation.uscc import CODE_SET, make_uscc

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def new_uscc() -> str:
    return make_uscc("91310104" + "".join(secrets.choice(CODE_SET) for _ in range(9)))


def new_passport() -> str:
    return "X" + secrets.token_hex(4).upper()


@pytest.fixture(scope="module")
async def client(infrastructure: Infrastructure) -> AsyncIterator[httpx.AsyncClient]:
    settings = IdentitySettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=infrastructure.namespace,
    )
    app = bootstrap(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://identity") as http:
            yield http


async def test_employer_put_then_immediate_get_returns_the_record(
    client: httpx.AsyncClient,
) -> None:
    uscc = new_uscc()
    body = {"name": "Xuhui Labs", "licence_valid_until": "2031-01-01"}
    created = await client.put(f"/internal/registry/employers/{uscc}", json=body)
    assert created.status_code == 201, created.text
    assert created.json() == {"uscc": uscc, **body}
    fetched = await client.get(f"/internal/registry/employers/{uscc}")
    assert fetched.status_code == 200
    assert fetched.json() == {"uscc": uscc, **body}


async def test_employer_correction_answers_200_and_is_what_get_returns(
    client: httpx.AsyncClient,
) -> None:
    uscc = new_uscc()
    url = f"/internal/registry/employers/{uscc}"
    first = {"name": "Xuhui Labs", "licence_valid_until": "2031-01-01"}
    assert (await client.put(url, json=first)).status_code == 201
    again = await client.put(url, json=first)
    assert again.status_code == 200
    corrected = {"name": "Xuhui Labs Ltd", "licence_valid_until": "2032-06-30"}
    answer = await client.put(url, json=corrected)
    assert answer.status_code == 200
    assert (await client.get(url)).json() == {"uscc": uscc, **corrected}


async def test_certificate_put_then_get_by_id_and_by_holder(client: httpx.AsyncClient) -> None:
    passport = new_passport()
    cid = f"DEG-{passport}"
    body = {
        "kind": "degree",
        "holder": {"nationality": "NLD", "passport_number": passport},
        "issued_on": "2010-06-30",
        "valid_until": None,
        "details": {"level": "doctorate"},
        "issuer": "Leiden University",
    }
    created = await client.put(f"/internal/registry/certificates/{cid}", json=body)
    assert created.status_code == 201, created.text
    assert created.json() == {"id": cid, **body}
    assert (await client.get(f"/internal/registry/certificates/{cid}")).json() == {
        "id": cid,
        **body,
    }
    health = {
        "kind": "health",
        "holder": {"nationality": "NLD", "passport_number": passport},
        "issued_on": "2026-12-01",
        "valid_until": "2027-06-01",
        "details": {},
    }
    assert (
        await client.put(f"/internal/registry/certificates/HEALTH-{passport}", json=health)
    ).status_code == 201
    listed = await client.get(
        "/internal/registry/certificates",
        params={"nationality": "nld", "passport_number": passport.lower()},
    )
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [cid, f"HEALTH-{passport}"]
    assert listed.json()["items"][1]["issuer"] is None
    other = await client.get(
        "/internal/registry/certificates",
        params={"nationality": "BEL", "passport_number": passport},
    )
    assert other.json() == {"items": []}


async def test_a_certificate_given_to_another_holder_moves_to_that_holder(
    client: httpx.AsyncClient,
) -> None:
    first, second = new_passport(), new_passport()
    cid = f"CRIM-{first}"
    body = {
        "kind": "criminal_record",
        "holder": {"nationality": "NLD", "passport_number": first},
        "issued_on": "2026-12-01",
        "valid_until": "2027-06-01",
    }
    assert (
        await client.put(f"/internal/registry/certificates/{cid}", json=body)
    ).status_code == 201
    body["holder"] = {"nationality": "NLD", "passport_number": second}
    assert (
        await client.put(f"/internal/registry/certificates/{cid}", json=body)
    ).status_code == 200
    query = "/internal/registry/certificates"
    of_first = await client.get(query, params={"nationality": "NLD", "passport_number": first})
    of_second = await client.get(query, params={"nationality": "NLD", "passport_number": second})
    assert of_first.json()["items"] == []
    assert [c["id"] for c in of_second.json()["items"]] == [cid]


async def test_watchlist_put_then_get(client: httpx.AsyncClient) -> None:
    passport = new_passport()
    url = f"/internal/registry/watchlist/NLD/{passport}"
    assert (await client.get(url)).status_code == 404
    created = await client.put(url, json={"note": "refer to the exit-entry bureau"})
    assert created.status_code == 201
    expected = {
        "nationality": "NLD",
        "passport_number": passport,
        "note": "refer to the exit-entry bureau",
    }
    assert created.json() == expected
    assert (await client.get(f"/internal/registry/watchlist/nld/{passport.lower()}")).json() == (
        expected
    )


@pytest.mark.parametrize(
    ("rule", "method", "path", "body", "status", "loc"),
    [
        (
            "uscc_check_character_must_hold",
            "PUT",
            "/internal/registry/employers/91310104MA1FL5KX1A",
            {"name": "X", "licence_valid_until": "2031-01-01"},
            422,
            ["path", "uscc"],
        ),
        (
            "employer_needs_a_licence_date",
            "PUT",
            "/internal/registry/employers/91310104MA1FL5KX1N",
            {"name": "X"},
            422,
            ["body", "licence_valid_until"],
        ),
        (
            "unknown_fields_are_refused",
            "PUT",
            "/internal/registry/employers/91310104MA1FL5KX1N",
            {"name": "X", "licence_valid_until": "2031-01-01", "licence_valid_untill": "x"},
            422,
            ["body", "licence_valid_untill"],
        ),
        (
            "degree_needs_its_level",
            "PUT",
            "/internal/registry/certificates/DEG-NOLEVEL",
            {
                "kind": "degree",
                "holder": {"nationality": "NLD", "passport_number": "NX4K2P7R1"},
                "issued_on": "2010-06-30",
                "details": {},
            },
            422,
            ["body", "details", "level"],
        ),
        (
            "nationality_is_iso_alpha3",
            "PUT",
            "/internal/registry/certificates/H-1",
            {
                "kind": "health",
                "holder": {"nationality": "XXX", "passport_number": "NX4K2P7R1"},
                "issued_on": "2026-12-01",
            },
            422,
            ["body.holder", "nationality"],
        ),
        (
            "kind_is_a_document_kind",
            "PUT",
            "/internal/registry/certificates/H-2",
            {
                "kind": "passport",
                "holder": {"nationality": "NLD", "passport_number": "NX4K2P7R1"},
                "issued_on": "2026-12-01",
            },
            422,
            ["body", "kind"],
        ),
        (
            "certificate_id_is_a_safe_name",
            "GET",
            "/internal/registry/certificates/-bad%20id",
            None,
            422,
            ["path", "certificate_id"],
        ),
        (
            "unknown_employer_is_not_found",
            "GET",
            "/internal/registry/employers/91310000MA1FL0000N",
            None,
            404,
            None,
        ),
        (
            "unknown_certificate_is_not_found",
            "GET",
            "/internal/registry/certificates/NEVER-RECORDED",
            None,
            404,
            None,
        ),
    ],
)
async def test_errors_are_problem_details(
    client: httpx.AsyncClient,
    rule: str,
    method: str,
    path: str,
    body: dict[str, object] | None,
    status: int,
    loc: list[str] | None,
) -> None:
    answer = await client.request(method, path, json=body)
    assert answer.status_code == status, (rule, answer.text)
    assert answer.headers["content-type"].startswith(PROBLEM)
    problem = answer.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["status"] == status
    if loc is not None:
        assert loc in [error["loc"] for error in problem["errors"]], problem
