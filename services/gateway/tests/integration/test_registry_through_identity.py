"""The clerks' registry through the gateway, with identity running as its own process.

A `PUT` answered by the gateway is durable in identity: an immediate `GET`
returns the record, with the clerk who recorded it (named in the gateway's service
credential). Only clerks get through (403 for an applicant).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from onewindow.devstack.processes import Managed
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.devstack.services import SERVICES, start_service, wait_ready
from onewindow.gateway.bootstrap import bootstrap
from onewindow.gateway.settings import GatewaySettings
from onewindow.runtime.validation import make_uscc

from ..unit.support import PROBLEMS, wall_clock_token

pytestmark = pytest.mark.integration

CLERK = {"Authorization": "Bearer " + wall_clock_token("clerk", "carl")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def identity_url(infrastructure: Infrastructure) -> Iterator[str]:
    identity = next(s for s in SERVICES if s.name == "identity")
    port = _free_port()
    env = {**infrastructure.env(), "IDENTITY_HTTP_PORT": str(port)}
    env["ONEWINDOW_DB_PREFIX"] = f"{infrastructure.namespace}_registry"
    process = Managed(f"{infrastructure.namespace}-gateway-tests-identity")
    url = identity.url(port)
    start_service(identity, env, process)
    try:
        wait_ready({"identity": url}, {"identity": process}, timeout=90)
        yield url
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def gateway(
    infrastructure: Infrastructure, identity_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=f"{infrastructure.namespace}_registry",
        identity_url=identity_url,
    )
    app = bootstrap(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            deadline = time.monotonic() + 60
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            yield client


def new_uscc() -> str:
    return make_uscc("91310104" + secrets.token_hex(5).upper()[:9])


async def test_an_employer_put_is_returned_by_an_immediate_get(
    gateway: httpx.AsyncClient,
) -> None:
    uscc = new_uscc()
    body = {"name": "Xuhui Labs", "licence_valid_until": "2031-01-01"}
    put = await gateway.put(f"/v1/registry/employers/{uscc}", json=body, headers=CLERK)
    assert put.status_code == 201, put.text
    assert put.headers["location"] == f"/v1/registry/employers/{uscc}"
    got = await gateway.get(f"/v1/registry/employers/{uscc}", headers=CLERK)
    assert got.status_code == 200
    assert got.json() == {"uscc": uscc, **body, "recorded_by": {"sub": "carl", "role": "clerk"}}


async def test_identity_records_the_acting_clerk(gateway: httpx.AsyncClient) -> None:
    passport = "X" + secrets.token_hex(4).upper()
    watch = f"/v1/registry/watchlist/NLD/{passport}"
    clara = {"Authorization": "Bearer " + wall_clock_token("clerk", "clara")}
    put = await gateway.put(watch, json={"note": "check"}, headers=clara)
    assert put.status_code == 201, put.text
    # Whoever reads it sees who recorded it: clara, not the clerk reading.
    got = await gateway.get(watch, headers=CLERK)
    assert got.json()["recorded_by"] == {"sub": "clara", "role": "clerk"}
    corrected = await gateway.put(watch, json={"note": "check twice"}, headers=CLERK)
    assert corrected.status_code == 200, corrected.text
    got = await gateway.get(watch, headers=clara)
    assert got.json()["recorded_by"] == {"sub": "carl", "role": "clerk"}


async def test_a_certificate_and_a_watchlist_entry_round_trip(gateway: httpx.AsyncClient) -> None:
    passport = "X" + secrets.token_hex(4).upper()
    certificate = {
        "kind": "degree",
        "holder": {"nationality": "NLD", "passport_number": passport},
        "issued_on": "2010-06-30",
        "details": {"level": "doctorate"},
    }
    put = await gateway.put(
        f"/v1/registry/certificates/DEG-{passport}", json=certificate, headers=CLERK
    )
    assert put.status_code == 201, put.text
    got = await gateway.get(f"/v1/registry/certificates/DEG-{passport}", headers=CLERK)
    assert got.status_code == 200
    assert got.json()["holder"] == certificate["holder"]
    assert got.json()["details"]["level"] == "doctorate"

    watch = f"/v1/registry/watchlist/NLD/{passport}"
    assert (await gateway.put(watch, json={"note": "check"}, headers=CLERK)).status_code == 201
    entry = await gateway.get(watch, headers=CLERK)
    assert entry.status_code == 200
    assert entry.json()["note"] == "check"


async def test_an_applicant_may_not_touch_the_registry(gateway: httpx.AsyncClient) -> None:
    uscc = new_uscc()
    applicant = {"Authorization": "Bearer " + wall_clock_token("applicant", "anna")}
    body = {"name": "Shell Co", "licence_valid_until": "2031-01-01"}
    put = await gateway.put(f"/v1/registry/employers/{uscc}", json=body, headers=applicant)
    assert put.status_code == 403
    assert put.json()["type"] == PROBLEMS + "forbidden"
    got = await gateway.get(f"/v1/registry/employers/{uscc}", headers=CLERK)
    assert got.status_code == 404
    assert got.headers["content-type"] == "application/problem+json"
