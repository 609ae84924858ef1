"""The evidence rules of v1.1 end to end (DOMAIN.md "Evidence"): the registry is the
source of truth, an expired certificate is asked for again rather than refused, and
every refusal names its legal basis. Through the gateway's HTTP API, every service as
its own OS process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from onewindow.cli.seeding import Gateway, Person
from onewindow.runtime.clock import SystemClock, local_today

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# The date the services count (Shanghai), whatever the machine's time zone.
TODAY = local_today(SystemClock())
RECENT = TODAY - timedelta(days=30)


async def record_certificate(
    gateway: Gateway, person: Person, certificate_id: str, body: dict[str, Any]
) -> None:
    holder = {"nationality": person.nationality, "passport_number": person.passport}
    answer = await gateway.http.put(
        f"/v1/registry/certificates/{certificate_id}",
        json={"holder": holder, "details": {}, **body},
        headers=gateway.clerk,
    )
    assert answer.status_code in (200, 201), answer.text


def modest(body: dict[str, Any]) -> dict[str, Any]:
    """The same application with a salary and experience far from Category A by points."""
    body["position"]["annual_salary_cny"] = 100_000
    body["qualifications"].update(experience_years=2, bonuses=[])
    return body


async def test_a_talent_recognition_in_the_registry_counts_though_not_cited(
    gateway: Gateway,
) -> None:
    ida = Person()
    await gateway.register(ida, health_issued=RECENT)
    await record_certificate(
        gateway,
        ida,
        f"talent-{ida.passport}",
        {
            "kind": "talent_recognition",
            "issued_on": "2024-05-01",
            "valid_until": None,
            "issuer": "Shanghai Overseas High-Level Talent Programme",
        },
    )
    body = modest(gateway.application(ida, today=TODAY))  # cites degree, record, health
    application_id = (await gateway.submit(ida, body)).json()["id"]

    case = await gateway.wait_for(ida, application_id, {"approved", "refused", "withdrawn"})

    assert case["status"] == "approved", case
    assert case["category"] == "A"


async def test_the_registry_degree_scores_and_the_officer_sees_what_was_typed(
    gateway: Gateway,
) -> None:
    jan = Person()
    await gateway.register(jan, kinds=("criminal_record", "health"), health_issued=RECENT)
    await record_certificate(
        gateway,
        jan,
        f"degree-{jan.passport}",
        {"kind": "degree", "issued_on": "2012-07-01", "details": {"level": "master"}},
    )
    jan.documents["degree"] = f"degree-{jan.passport}"
    body = gateway.application(jan, today=TODAY)  # typed: doctorate; A by salary
    application_id = (await gateway.submit(jan, body)).json()["id"]

    case = await gateway.wait_for(jan, application_id, {"approved", "refused", "withdrawn"})
    assert case["status"] == "approved", case  # a mismatch is noted, not refused

    staff_view = await gateway.case(None, application_id)  # as an operator sees it
    factors = {f["factor"]: f for f in staff_view["classification"]["factors"]}
    assert factors["education"]["points"] == 15
    assert factors["education"]["value"] == "master (registry; typed doctorate)"


async def test_a_refusal_names_the_legal_basis_of_its_reasons(gateway: Gateway) -> None:
    kai = Person()
    await gateway.register(kai, health_issued=TODAY - timedelta(days=300))
    application_id = (await gateway.submit(kai, gateway.application(kai, today=TODAY))).json()["id"]

    case = await gateway.wait_for(kai, application_id, {"approved", "refused", "withdrawn"})

    assert case["status"] == "refused", case
    [too_old] = [
        r for r in case["decision"]["reasons"] if r["code"] == "health_certificate_too_old"
    ]
    assert too_old["legal_basis"] == {"policy": "rp-2013.1-shanghai", "article": "§30.5"}
    [shown] = case["residence_permit"]["reasons"]
    assert shown["legal_basis"] == too_old["legal_basis"]


async def test_an_expired_certificate_is_asked_for_again_and_the_case_then_approved(
    gateway: Gateway,
) -> None:
    lea = Person()
    await gateway.register(lea, kinds=("degree", "criminal_record"), health_issued=RECENT)
    expired = f"health-old-{lea.passport}"
    await record_certificate(
        gateway,
        lea,
        expired,
        {
            "kind": "health",
            "issued_on": (TODAY - timedelta(days=60)).isoformat(),
            "valid_until": (TODAY - timedelta(days=1)).isoformat(),
        },
    )
    lea.documents["health"] = expired
    application_id = (await gateway.submit(lea, gateway.application(lea, today=TODAY))).json()["id"]

    case = await gateway.wait_for(lea, application_id, {"awaiting_documents", "refused"})
    assert case["status"] == "awaiting_documents", case
    assert case["documents_requested"]["documents"] == ["health"]
    [reason] = case["residence_permit"]["reasons"]
    assert (reason["code"], reason["legal_basis"]["policy"]) == (
        "document_expired",
        "rp-2013.1-shanghai",
    )

    current = f"health-new-{lea.passport}"
    await record_certificate(
        gateway,
        lea,
        current,
        {"kind": "health", "issued_on": RECENT.isoformat(), "valid_until": None},
    )
    supplied = await gateway.http.post(
        f"/v1/applications/{application_id}/documents",
        json={"documents": [{"kind": "health", "registry_id": current}]},
        headers=lea.headers,
    )
    assert supplied.status_code == 202, supplied.text
    case = await gateway.wait_for(lea, application_id, {"approved", "refused"})
    assert case["status"] == "approved", case


async def test_a_missing_registration_number_is_asked_for_then_supplied_and_approved(
    gateway: Gateway,
) -> None:
    max_ = Person()
    await gateway.register(max_, health_issued=RECENT)
    body = gateway.application(max_, today=TODAY)
    body["residence"].pop("registration_number", None)
    application_id = (await gateway.submit(max_, body)).json()["id"]

    case = await gateway.wait_for(max_, application_id, {"awaiting_documents", "refused"})
    assert case["status"] == "awaiting_documents", case
    assert [r["code"] for r in case["residence_permit"]["reasons"]] == [
        "registration_number_required"
    ]
    nothing = await gateway.http.post(
        f"/v1/applications/{application_id}/documents", json={}, headers=max_.headers
    )
    assert nothing.status_code == 422, nothing.text
    supplied = await gateway.http.post(
        f"/v1/applications/{application_id}/documents",
        json={"registration_number": "XH-2026-004711"},
        headers=max_.headers,
    )
    assert supplied.status_code == 202, supplied.text
    case = await gateway.wait_for(max_, application_id, {"approved", "refused"})
    assert case["status"] == "approved", case
