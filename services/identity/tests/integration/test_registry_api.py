"""The registry's internal HTTP API on the real database, the service's lifespan running:
only the gateway's service credential gets in, and every record shows the clerk who
recorded it."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

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

PROBLEM = "application/problem+json"
GATEWAY = ServiceCredentials(DEVELOPMENT_SERVICE_SECRET, caller="gateway")
CARL = {"sub": "carl", "role": "clerk"}


def as_person(sub: str, role: str) -> dict[str, str]:
    """The headers of the gateway's call for this person."""
    return GATEWAY.headers("identity", ActingFor(sub=sub, role=role))


async def as_carl_unless_told(request: httpx.Request) -> None:
    """Every request is the gateway's for the clerk carl, unless it names its credential."""
    if "authorization" not in request.headers:
        request.headers.update(as_person("carl", "clerk"))


def new_uscc() -> str:
    return make_uscc("91310104" + "".join(secrets.choice(CODE_SET) for _ in range(9)))


def new_passport() -> str:
    return "X" + secrets.token_hex(4).upper()


@pytest.fixture(scope="module")
async def identity(infrastructure: Infrastructure) -> AsyncIterator[FastAPI]:
    settings = IdentitySettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=infrastructure.namespace,
    )
    app = bootstrap(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(identity: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway, calling for the clerk carl."""
    transport = httpx.ASGITransport(app=identity)
    hooks = {"request": [as_carl_unless_told]}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://identity", event_hooks=hooks
    ) as http:
        yield http


@pytest.fixture
async def stranger(identity: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A caller that sends only what each test gives it."""
    transport = httpx.ASGITransport(app=identity)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as http:
        yield http


CLERK_CARL = ActingFor("carl", "clerk")
# Minted when the test runs, so that each is refused for its own reason only.
REFUSED_CREDENTIALS: dict[str, Callable[[], dict[str, str]]] = {
    "none": dict,
    "not a bearer token": lambda: {"Authorization": "Basic Z2F0ZXdheTpzZWNyZXQ="},
    "for another service": lambda: GATEWAY.headers("work-permit", CLERK_CARL),
    "expired": lambda: ServiceCredentials(
        DEVELOPMENT_SERVICE_SECRET, caller="gateway", now=lambda: time.time() - 3600
    ).headers("identity", CLERK_CARL),
    "signed with another secret": lambda: ServiceCredentials(
        "someone-elses-secret-of-at-least-32-bytes", caller="gateway"
    ).headers("identity", CLERK_CARL),
    "from a service identity does not serve": lambda: ServiceCredentials(
        DEVELOPMENT_SERVICE_SECRET, caller="notifications"
    ).headers("identity", CLERK_CARL),
}
EMPLOYER = {"name": "Shell Co", "licence_valid_until": "2031-01-01"}


@pytest.mark.parametrize("credential", REFUSED_CREDENTIALS.values(), ids=REFUSED_CREDENTIALS.keys())
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/internal/registry/employers/{uscc}", EMPLOYER),
        ("GET", "/internal/registry/employers/{uscc}", None),
        ("GET", "/internal/registry/certificates?nationality=NLD&passport_number=NX4K2P7R1", None),
    ],
    ids=["write", "read", "query"],
)
async def test_the_internal_registry_api_without_credentials_is_refused_401(
    stranger: httpx.AsyncClient,
    client: httpx.AsyncClient,
    credential: Callable[[], dict[str, str]],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    uscc = new_uscc()
    url = path.format(uscc=uscc)
    answer = await stranger.request(method, url, json=body, headers=credential())
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["type"] == "https://onewindow.example/problems/unauthorized"
    assert answer.json()["instance"] == url.split("?")[0]
    # Nothing was recorded.
    assert (await client.get(f"/internal/registry/employers/{uscc}")).status_code == 404


@pytest.mark.parametrize(
    "credential",
    [lambda: GATEWAY.headers("identity"), lambda: as_person("olga", "officer")],
    ids=["for nobody", "for an officer"],
)
async def test_only_a_write_for_a_clerk_is_recorded(
    client: httpx.AsyncClient, credential: Callable[[], dict[str, str]]
) -> None:
    uscc = new_uscc()
    url = f"/internal/registry/employers/{uscc}"
    headers = credential()
    answer = await client.put(url, json=EMPLOYER, headers=headers)
    assert answer.status_code == 403, answer.text
    assert answer.json()["type"] == "https://onewindow.example/problems/forbidden"
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_a_record_shows_the_clerk_who_recorded_its_version(
    client: httpx.AsyncClient,
) -> None:
    uscc = new_uscc()
    url = f"/internal/registry/employers/{uscc}"
    body = {"name": "Xuhui Labs", "licence_valid_until": "2031-01-01"}
    assert (await client.put(url, json=body)).json()["recorded_by"] == CARL
    # The same content again records nothing: the version stays carl's.
    clara = as_person("clara", "clerk")
    assert (await client.put(url, json=body, headers=clara)).json()["recorded_by"] == CARL
    corrected = {**body, "name": "Xuhui Labs Ltd"}
    await client.put(url, json=corrected, headers=clara)
    assert (await client.get(url)).json() == {
        "uscc": uscc,
        **corrected,
        "recorded_by": {"sub": "clara", "role": "clerk"},
    }


async def test_employer_put_then_immediate_get_returns_the_record(
    client: httpx.AsyncClient,
) -> None:
    uscc = new_uscc()
    body = {"name": "Xuhui Labs", "licence_valid_until": "2031-01-01"}
    created = await client.put(f"/internal/registry/employers/{uscc}", json=body)
    assert created.status_code == 201, created.text
    assert created.json() == {"uscc": uscc, **body, "recorded_by": CARL}
    fetched = await client.get(f"/internal/registry/employers/{uscc}")
    assert fetched.status_code == 200
    assert fetched.json() == {"uscc": uscc, **body, "recorded_by": CARL}


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
    assert (await client.get(url)).json() == {"uscc": uscc, **corrected, "recorded_by": CARL}


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
    assert created.json() == {"id": cid, **body, "recorded_by": CARL}
    assert (await client.get(f"/internal/registry/certificates/{cid}")).json() == {
        "id": cid,
        **body,
        "recorded_by": CARL,
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
        "recorded_by": CARL,
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
