"""The combined application end to end: the gateway's HTTP API, every service as its own
OS process, the real Kafka and database (issue 7's stories)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import uuid
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from onewindow.cli.seeding import Gateway, Person, auth
from onewindow.devstack.pytest_plugin import RunningServices
from onewindow.runtime.clock import SystemClock, local_today

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# The date the services count (Shanghai, DOMAIN.md v1.1), whatever the machine's zone: the
# appeal deadline below is 60 days after the Shanghai date of the decision.
TODAY = local_today(SystemClock())
RECENT = TODAY - timedelta(days=30)


def _plain_text(path: Path) -> tuple[str, str]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    return str(message["To"]), body.get_content() if body is not None else ""


async def mail_to(services: RunningServices, address: str, containing: str) -> list[str]:
    """The plain texts the development mail sink received for `address` that mention
    `containing`, waiting up to 20 s for the first."""
    for _ in range(100):
        found = [
            text
            for to, text in map(_plain_text, sorted(services.mail_dir.glob("*.eml")))
            if address in to and containing in text
        ]
        if found:
            return found
        await asyncio.sleep(0.2)
    return []


async def test_a_complete_category_a_case_is_approved_with_both_permits(
    gateway: Gateway, services: RunningServices
) -> None:
    anna = Person()
    await gateway.register(anna, health_issued=RECENT)
    body = gateway.application(anna, today=TODAY)
    started = asyncio.get_running_loop().time()
    response = await gateway.submit(anna, body)
    assert response.status_code == 202, response.text
    application_id = response.json()["id"]
    assert response.headers["Location"] == f"/v1/applications/{application_id}"

    case = await gateway.wait_for(anna, application_id, {"approved", "refused", "withdrawn"})
    elapsed = asyncio.get_running_loop().time() - started

    assert case["status"] == "approved", case
    assert case["category"] == "A"
    work, residence = case["work_permit"], case["residence_permit"]
    assert work["status"] == residence["status"] == "issued"
    assert work["number"]
    assert residence["number"]
    assert work["number"] != residence["number"]
    # DOMAIN.md: work until min(contract end, start + 5 years, passport expiry);
    # residence until min(work permit validity, passport expiry).
    assert work["valid_until"] == body["position"]["contract_end"]
    assert residence["valid_until"] == min(
        work["valid_until"], body["applicant"]["passport"]["expires_on"]
    )
    assert case["decision"]["outcome"] == "approved"
    # v1.1: the decision names the rule it rests on (the joint decision, all or nothing).
    assert case["decision"]["legal_basis"] == {
        "policy": "one-window-2026.1-shanghai",
        "article": "§6.1",
    }
    assert case["timeline"][0]["type"] == "application.submitted"
    mails = await mail_to(services, f"{anna.sub}@example.org", work["number"])
    assert len(mails) == 1  # the approval, once, naming both permits
    assert residence["number"] in mails[0]
    print(f"approved in {elapsed:.2f}s")
    assert elapsed < 30


async def test_a_stale_health_certificate_refuses_the_case_and_issues_nothing(
    gateway: Gateway,
) -> None:
    bram = Person()
    await gateway.register(bram, health_issued=TODAY - timedelta(days=300))
    response = await gateway.submit(bram, gateway.application(bram, today=TODAY))
    application_id = response.json()["id"]

    case = await gateway.wait_for(bram, application_id, {"approved", "refused", "withdrawn"})

    assert case["status"] == "refused"
    assert case["residence_permit"]["status"] == "refused"
    assert case["work_permit"]["status"] == "cancelled"  # its reservation was cancelled
    codes = [(r["code"], r["side"]) for r in case["decision"]["reasons"]]
    assert ("health_certificate_too_old", "residence") in codes
    assert ("counterpart_refused", "work") in codes
    assert all(r["message_en"] and r["message_zh"] for r in case["decision"]["reasons"])
    # Every reason, the saga's own included, and the decision name their legal basis.
    assert all(r["legal_basis"]["article"] for r in case["decision"]["reasons"])
    assert case["decision"]["legal_basis"]["article"] == "§6.2"
    assert case["decision"]["appeal"]["deadline"] == (TODAY + timedelta(days=60)).isoformat()


async def test_a_watch_listed_applicant_waits_for_an_officer_who_approves(
    gateway: Gateway,
) -> None:
    carl = Person()
    await gateway.register(carl, health_issued=RECENT)
    listed = await gateway.http.put(
        f"/v1/registry/watchlist/{carl.nationality}/{carl.passport}",
        json={"note": "check with the exit-entry bureau"},
        headers=gateway.clerk,
    )
    assert listed.status_code in (200, 201), listed.text
    application_id = (await gateway.submit(carl, gateway.application(carl, today=TODAY))).json()[
        "id"
    ]

    case = await gateway.wait_for(carl, application_id, {"awaiting_officer"})
    reviews = (await gateway.http.get("/v1/reviews", headers=gateway.officer)).json()["items"]
    assert application_id in [r["id"] for r in reviews]
    approved: set[str] = set()
    while case["status"] == "awaiting_officer" or len(approved) < 2:
        for permit in ("work", "residence"):
            if case[f"{permit}_permit"]["under_review"] and permit not in approved:
                answer = await gateway.http.post(
                    f"/v1/applications/{application_id}/reviews",
                    json={"permit": permit, "decision": "approve", "reason": "cleared"},
                    headers=gateway.officer,
                )
                assert answer.status_code == 202, answer.text
                approved.add(permit)
        if case["status"] in ("approved", "refused"):
            break
        await asyncio.sleep(0.3)
        case = await gateway.case(carl, application_id)
    assert approved == {"work", "residence"}  # the watch list flags both permits
    case = await gateway.wait_for(carl, application_id, {"approved", "refused"})
    assert case["status"] == "approved"


async def test_a_missing_document_stops_the_clock_until_it_is_supplied(
    gateway: Gateway,
    services: RunningServices,
) -> None:
    dana = Person()
    await gateway.register(dana, health_issued=RECENT)
    body = gateway.application(dana, today=TODAY, documents=("degree", "criminal_record"))
    application_id = (await gateway.submit(dana, body)).json()["id"]

    case = await gateway.wait_for(dana, application_id, {"awaiting_documents"})
    assert case["deadline"]["clock"] == "stopped"
    due_before = date.fromisoformat(case["deadline"]["due_on"])
    try:
        services.move_clock(timedelta(days=7))  # a week passes before the applicant answers
        dana.ahead = timedelta(days=7)
        await asyncio.sleep(1.5)
        supplied = await gateway.http.post(
            f"/v1/applications/{application_id}/documents",
            json={"documents": [{"kind": "health", "registry_id": dana.documents["health"]}]},
            headers=dana.headers,
        )
        assert supplied.status_code == 202, supplied.text
        case = await gateway.wait_for(dana, application_id, {"approved", "refused"})
    finally:
        services.move_clock(timedelta(0))
        await asyncio.sleep(1.5)  # every service has re-read its clock
    assert case["status"] == "approved"
    due_after = date.fromisoformat(case["deadline"]["due_on"])
    assert due_after > due_before + timedelta(days=4)  # moved by the stopped working days


async def test_a_withdrawal_before_the_decision_leaves_no_reservation(gateway: Gateway) -> None:
    eva = Person()
    await gateway.register(eva, health_issued=RECENT)
    body = gateway.application(eva, today=TODAY, documents=("degree", "criminal_record"))
    application_id = (await gateway.submit(eva, body)).json()["id"]
    await gateway.wait_for(eva, application_id, {"awaiting_documents"})

    answer = await gateway.http.post(
        f"/v1/applications/{application_id}/withdrawal", json={}, headers=eva.headers
    )
    assert answer.status_code == 202, answer.text
    case = await gateway.wait_for(eva, application_id, {"withdrawn"})

    assert case["work_permit"]["status"] in ("cancelled", "pending")
    assert case["residence_permit"]["status"] in ("cancelled", "pending")
    assert "reserved" not in (case["work_permit"]["status"], case["residence_permit"]["status"])
    late = await gateway.http.post(
        f"/v1/applications/{application_id}/withdrawal", json={}, headers=eva.headers
    )
    assert late.status_code == 409


async def test_a_duplicate_is_refused_and_a_replayed_key_returns_the_first_answer(
    gateway: Gateway,
) -> None:
    finn = Person()
    await gateway.register(finn, health_issued=RECENT)
    body = gateway.application(finn, today=TODAY, documents=("degree", "criminal_record"))
    key = str(uuid.uuid4())
    first = await gateway.submit(finn, body, key=key)
    replayed = await gateway.submit(finn, body, key=key)
    assert replayed.status_code == first.status_code == 202
    assert replayed.json() == first.json()
    await gateway.wait_for(finn, first.json()["id"], {"awaiting_documents"})

    second = await gateway.submit(finn, body)  # a new key: a second case
    assert second.json()["id"] != first.json()["id"]
    case = await gateway.wait_for(finn, second.json()["id"], {"refused"})
    assert [r["code"] for r in case["decision"]["reasons"]] == ["duplicate_application"]


async def test_an_extension_inside_the_window_extends_both_permits(gateway: Gateway) -> None:
    gus = Person()
    await gateway.register(gus, health_issued=RECENT)
    ends = TODAY + timedelta(days=60)
    body = gateway.application(gus, today=TODAY - timedelta(days=400), contract_end=ends)
    application_id = (await gateway.submit(gus, body)).json()["id"]
    case = await gateway.wait_for(gus, application_id, {"approved", "refused"})
    assert case["status"] == "approved", case
    number = case["work_permit"]["number"]

    new_end = TODAY + timedelta(days=2 * 365)
    answer = await gateway.http.post(
        f"/v1/work-permits/{number}/extensions",
        json={"contract_end": new_end.isoformat()},
        headers={**gus.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 202, answer.text
    location = answer.headers["Location"]
    for _ in range(150):
        extension = (await gateway.http.get(location, headers=gus.headers)).json()
        if extension["status"] != "pending":
            break
        await asyncio.sleep(0.2)
    assert extension["status"] == "approved", extension
    assert extension["work_permit"]["valid_until"] == new_end.isoformat()
    assert extension["residence_permit"]["valid_until"] == new_end.isoformat()
    case = await gateway.case(gus, application_id)
    assert case["work_permit"]["valid_until"] == new_end.isoformat()


async def test_the_live_stream_shows_each_status_and_ends_after_the_decision(
    gateway: Gateway,
) -> None:
    hana = Person()
    await gateway.register(hana, health_issued=RECENT)
    application_id = (await gateway.submit(hana, gateway.application(hana, today=TODAY))).json()[
        "id"
    ]
    statuses: list[str] = []
    async with gateway.http.stream(
        "GET", f"/v1/applications/{application_id}/events", headers=hana.headers, timeout=60
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                statuses.append(json.loads(line[5:])["status"])
    assert statuses[-1] == "approved"
    assert len(statuses) >= 2


async def test_someone_elses_case_does_not_exist_for_an_applicant(gateway: Gateway) -> None:
    ines = Person()
    await gateway.register(ines, health_issued=RECENT)
    application_id = (await gateway.submit(ines, gateway.application(ines, today=TODAY))).json()[
        "id"
    ]
    stranger = await gateway.http.get(
        f"/v1/applications/{application_id}", headers=auth("applicant", "someone-else")
    )
    assert stranger.status_code == 404
    assert stranger.headers["content-type"].startswith("application/problem+json")
