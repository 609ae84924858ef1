"""Writes on an existing case: only its owners (or officers) reach it; others get 404."""

from __future__ import annotations

import pytest

from onewindow.contracts.v1.applications import (
    RecordReview,
    RequestExtension,
    SupplyDocuments,
    WithdrawApplication,
)
from onewindow.gateway.domain.ownership import CaseOwner

from .support import OTHER_USCC, PROBLEMS, USCC, UnitGateway, auth, unit_gateway

CASE = "3f0c2d1e-1111-4a4a-8b8b-000000000001"
PERMIT = "WP-310104-2026-000042"
KEY = "c0ffee00-0000-4000-8000-000000000001"
DOCUMENTS = {"documents": [{"kind": "health", "registry_id": "hea-2"}]}


def with_case() -> UnitGateway:
    gateway = unit_gateway()
    gateway.owners.owned[CASE] = CaseOwner(CASE, employer_uscc=USCC, applicant_sub="anna")
    return gateway


CALLERS = [
    ("the_applicant", auth("applicant", "anna"), 202),
    ("the_employer", auth("employer", "hr", uscc=USCC), 202),
    ("another_applicant", auth("applicant", "bob"), 404),
    ("another_employer", auth("employer", "hr2", uscc=OTHER_USCC), 404),
]


@pytest.mark.parametrize(("who", "headers", "status"), CALLERS, ids=[c[0] for c in CALLERS])
async def test_documents_are_supplied_by_the_cases_owners_only(
    who: str, headers: dict[str, str], status: int
) -> None:
    gateway = with_case()
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/applications/{CASE}/documents", json=DOCUMENTS, headers=headers
        )
    assert response.status_code == status, who
    if status == 202:
        (sent,) = gateway.bus.sent
        assert isinstance(sent.command, SupplyDocuments)
        assert sent.key == CASE
        assert sent.command.documents[0].registry_id == "hea-2"
        assert response.headers["location"] == f"/v1/applications/{CASE}"
    else:
        assert response.json()["type"] == PROBLEMS + "not-found"
        assert gateway.bus.sent == []


async def test_an_unknown_case_is_404_like_someone_elses() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications/no-such-case/withdrawal", headers=auth("applicant", "anna")
        )
    assert response.status_code == 404
    assert gateway.bus.sent == []


async def test_a_withdrawal_before_the_decision_sends_one_withdrawal_per_case() -> None:
    gateway = with_case()
    gateway.facts.status_of[CASE] = "assessing"
    async with gateway.client() as client:
        first = await client.post(f"/v1/applications/{CASE}/withdrawal", headers=auth())
        second = await client.post(f"/v1/applications/{CASE}/withdrawal", headers=auth())
    assert first.status_code == second.status_code == 202
    assert [type(s.command) for s in gateway.bus.sent] == [WithdrawApplication] * 2
    # The saga sees the same message twice and acts once.
    assert gateway.bus.sent[0].envelope.id == gateway.bus.sent[1].envelope.id


@pytest.mark.parametrize("status", ["approved", "refused", "withdrawn"])
async def test_a_decided_case_cannot_be_withdrawn(status: str) -> None:
    gateway = with_case()
    gateway.facts.status_of[CASE] = status
    async with gateway.client() as client:
        response = await client.post(f"/v1/applications/{CASE}/withdrawal", headers=auth())
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEMS + "case-decided"
    assert gateway.bus.sent == []


async def test_an_officer_records_a_review_on_any_case() -> None:
    gateway = with_case()
    review = {"permit": "work", "decision": "refuse", "reason": "forged degree"}
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/applications/{CASE}/reviews", json=review, headers=auth("officer", "olga")
        )
    assert response.status_code == 202
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, RecordReview)
    assert (sent.command.officer.sub, sent.command.decision) == ("olga", "refuse")


@pytest.mark.parametrize(
    "review",
    [
        {"permit": "work", "decision": "refuse"},
        {"permit": "work", "decision": "request_documents"},
        {"permit": "both", "decision": "approve"},
    ],
)
async def test_an_incomplete_review_is_422(review: dict[str, str]) -> None:
    gateway = with_case()
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/applications/{CASE}/reviews", json=review, headers=auth("officer", "olga")
        )
    assert response.status_code == 422
    assert gateway.bus.sent == []


async def test_a_follow_up_with_a_key_is_sent_once() -> None:
    gateway = with_case()
    headers = {**auth(), "Idempotency-Key": KEY}
    async with gateway.client() as client:
        for _ in range(3):
            response = await client.post(
                f"/v1/applications/{CASE}/documents", json=DOCUMENTS, headers=headers
            )
            assert response.status_code == 202
    assert len(gateway.bus.sent) == 1


def with_permit() -> UnitGateway:
    gateway = with_case()
    gateway.facts.case_of[PERMIT] = CASE
    return gateway


async def test_the_holder_asks_for_an_extension_and_gets_its_location() -> None:
    gateway = with_permit()
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/work-permits/{PERMIT}/extensions",
            json={"contract_end": "2031-01-03"},
            headers={**auth(), "Idempotency-Key": KEY},
        )
    assert response.status_code == 202
    extension_id = response.json()["id"]
    assert response.json()["status"] == "pending"
    assert response.headers["location"] == f"/v1/extensions/{extension_id}"
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, RequestExtension)
    assert (sent.key, sent.command.work_permit_number) == (extension_id, PERMIT)
    assert gateway.owners.extension_records[extension_id].application_id == CASE


@pytest.mark.parametrize(
    ("headers", "status", "problem"),
    [
        ({"Idempotency-Key": KEY, **auth("applicant", "bob")}, 404, "not-found"),
        ({**auth()}, 400, "idempotency-key-missing"),
        ({"Idempotency-Key": KEY, **auth("officer", "olga")}, 403, "forbidden"),
    ],
)
async def test_an_extension_needs_the_holder_and_a_key(
    headers: dict[str, str], status: int, problem: str
) -> None:
    gateway = with_permit()
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/work-permits/{PERMIT}/extensions",
            json={"contract_end": "2031-01-03"},
            headers=headers,
        )
    assert response.status_code == status
    assert response.json()["type"] == PROBLEMS + problem
    assert gateway.bus.sent == []


async def test_an_extension_to_today_or_earlier_is_422() -> None:
    gateway = with_permit()
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/work-permits/{PERMIT}/extensions",
            json={"contract_end": "2026-06-01"},
            headers={**auth(), "Idempotency-Key": KEY},
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "contract_end"]
