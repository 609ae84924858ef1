"""Applicant binding end to end (DOMAIN.md "Evidence", API.md v1.1): the gateway's HTTP API,
every service as its own OS process, the real Kafka and database.

- An employer that submits for its employee names the employee's account, and that
  account follows the case and withdraws it as if it had submitted it.
- A verified applicant (a token with a `passport` claim) is not blocked by a case an
  unverified account opened for the same passport: the verified case is decided, and
  the squatting case goes to an officer flagged `unverified_applicant`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest

from onewindow.cli.seeding import Gateway, Person, auth

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TODAY = date.today()
RECENT = TODAY - timedelta(days=30)
FINAL = {"approved", "refused", "withdrawn"}


async def listed(gateway: Gateway, headers: dict[str, str], application_id: str) -> bool:
    """Whether the caller's list (`GET /v1/applications`) shows the case, waiting up to 20 s
    for the view to follow the events."""
    for _ in range(100):
        response = await gateway.http.get("/v1/applications", headers=headers)
        assert response.status_code == 200, response.text
        if application_id in [item["id"] for item in response.json()["items"]]:
            return True
        await asyncio.sleep(0.2)
    return False


async def test_the_employee_named_by_the_employer_follows_and_withdraws_the_case(
    gateway: Gateway,
) -> None:
    anna = Person()
    await gateway.register(anna, health_issued=RECENT)
    # No health certificate cited: the case waits for it, open for Anna to act on.
    body = gateway.application(
        anna, today=TODAY, documents=("degree", "criminal_record"), account=anna.sub
    )
    response = await gateway.submit(anna, body, headers=anna.employer_headers)
    assert response.status_code == 202, response.text
    application_id = response.json()["id"]

    case = await gateway.wait_for(anna, application_id, {"awaiting_documents"})
    assert case["id"] == application_id
    assert await listed(gateway, anna.headers, application_id)
    assert await listed(gateway, anna.employer_headers, application_id)
    stranger = auth("applicant", "someone-else")
    assert not await listed(gateway, stranger, application_id)
    unseen = await gateway.http.get(f"/v1/applications/{application_id}", headers=stranger)
    assert unseen.status_code == 404

    statuses: list[str] = []
    async with gateway.http.stream(
        "GET", f"/v1/applications/{application_id}/events", headers=anna.headers, timeout=60
    ) as stream:
        assert stream.status_code == 200
        async for line in stream.aiter_lines():
            if not line.startswith("data:"):
                continue
            statuses.append(json.loads(line[5:])["status"])
            if len(statuses) == 1:
                withdrawal = await gateway.http.post(
                    f"/v1/applications/{application_id}/withdrawal", json={}, headers=anna.headers
                )
                assert withdrawal.status_code == 202, withdrawal.text
    assert statuses[0] == "awaiting_documents"
    assert statuses[-1] == "withdrawn"

    case = await gateway.wait_for(anna, application_id, FINAL)
    assert case["decision"]["outcome"] == "withdrawn"
    employer_view = await gateway.http.get(
        f"/v1/applications/{application_id}", headers=anna.employer_headers
    )
    assert employer_view.json()["status"] == "withdrawn"


async def test_an_applicant_cannot_name_another_account(gateway: Gateway) -> None:
    bram = Person()
    await gateway.register(bram, health_issued=RECENT)
    body = gateway.application(bram, today=TODAY, account="someone-else")
    response = await gateway.submit(bram, body)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/account-not-yours")


async def test_a_verified_applicant_applies_only_for_its_own_passport(gateway: Gateway) -> None:
    carla = Person(verified=True)
    await gateway.register(carla, health_issued=RECENT)
    someone_else = Person(uscc=carla.uscc)
    body = gateway.application(carla, today=TODAY)
    body["applicant"]["passport"]["number"] = someone_else.passport
    response = await gateway.submit(carla, body)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/passport-not-verified")


async def staff_view(gateway: Gateway, application_id: str) -> dict[str, Any]:
    response = await gateway.http.get(f"/v1/applications/{application_id}", headers=gateway.officer)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def squatted(gateway: Gateway, dora: Person) -> str:
    """An unverified account applies for Dora's passport with Dora's employer, citing
    nothing: the case stays open, waiting for documents. Its id."""
    squatter = auth("applicant", f"squatter-{dora.sub}")
    squat = await gateway.submit(
        dora, gateway.application(dora, today=TODAY, documents=()), headers=squatter
    )
    assert squat.status_code == 202, squat.text
    squat_id = str(squat.json()["id"])
    await gateway.wait_for(None, squat_id, {"awaiting_documents"})
    return squat_id


async def test_a_verified_applicant_is_not_blocked_by_a_squatting_unverified_case(
    gateway: Gateway,
) -> None:
    dora = Person(verified=True)
    await gateway.register(dora, health_issued=RECENT)
    squat_id = await squatted(gateway, dora)

    mine = await gateway.submit(dora, gateway.application(dora, today=TODAY))
    assert mine.status_code == 202, mine.text
    case = await gateway.wait_for(dora, mine.json()["id"], FINAL)
    assert case["status"] == "approved", case
    # The squatting case is not refused either: it is left to an officer.
    assert (await staff_view(gateway, squat_id))["status"] not in FINAL


async def test_the_squatting_case_goes_to_an_officer_flagged_unverified_applicant(
    gateway: Gateway,
) -> None:
    emil = Person(verified=True)
    await gateway.register(emil, health_issued=RECENT)
    squat_id = await squatted(gateway, emil)
    mine = await gateway.submit(emil, gateway.application(emil, today=TODAY))
    assert mine.status_code == 202, mine.text

    flagged: dict[str, Any] = {}
    for _ in range(150):
        flagged = await staff_view(gateway, squat_id)
        if flagged["status"] == "awaiting_officer":
            break
        await asyncio.sleep(0.2)
    assert flagged["status"] == "awaiting_officer", flagged
    assert "unverified_applicant" in flagged["flags"]
    reviews = await gateway.http.get("/v1/reviews", headers=gateway.officer)
    assert squat_id in [item["id"] for item in reviews.json()["items"]]
    # The squatter's own view never names identity's flags.
    own = await gateway.http.get(
        f"/v1/applications/{squat_id}", headers=auth("applicant", f"squatter-{emil.sub}")
    )
    assert own.status_code == 200
    assert "flags" not in own.json()
