"""The pre-check says what the system then decides (API.md v1.1 `POST /v1/prechecks`).

Table-driven, every service its own OS process: each row records what a clerk has in the
registry, pre-checks a body, then submits the very same body, and compares the pre-check
with the case as the services decided it: category, points and every factor's value and
points (the work permit's classification), every reason with its side and legal basis,
what was asked for, which way the case went, and the due date. One source of the rules:
the permit services answer the pre-check from their own rules (a dry run of their
assessment), so a rule changed there changes both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from onewindow.cli.seeding import Gateway, Person, new_uscc
from onewindow.runtime.clock import SystemClock, local_today

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TODAY = local_today(SystemClock())
RECENT = TODAY - timedelta(days=30)
FINAL = {"approved", "refused", "withdrawn"}
# What a submission meets first, as the pre-check says it and as the case shows it.
STATUS_OF_OUTCOME = {
    "fast_track": "approved",
    "refused": "refused",
    "documents_requested": "awaiting_documents",
    "officer_review": "awaiting_officer",
}
Body = dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One case of the table: the registry's records, the body's changes, the outcome."""

    name: str
    outcome: str
    kinds: tuple[str, ...] = ("degree", "criminal_record", "health")
    health_issued: timedelta = timedelta(days=30)
    cite: tuple[str, ...] | None = None
    change: Callable[[Body, Person], None] = lambda body, person: None
    extra: tuple[tuple[str, Body], ...] = ()
    watchlisted: bool = False
    codes: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def modest(body: Body, person: Person) -> None:
    """Category B by points: 300,000 CNY, a master, five years."""
    body["position"]["annual_salary_cny"] = 300_000
    body["qualifications"].update(education="master", experience_years=5, bonuses=[])


def unknown_employer(body: Body, person: Person) -> None:
    body["employer"]["uscc"] = new_uscc()


def degree_of_level(level: str) -> tuple[str, Body]:
    return ("degree", {"kind": "degree", "issued_on": "2012-07-01", "details": {"level": level}})


ROWS = [
    Row("fast track to approval", "fast_track"),
    Row(
        "category B is refused before anything is submitted",
        "refused",
        change=modest,
        codes=frozenset({("work", "not_eligible_category")}),
    ),
    Row(
        "a talent recognition on file makes category A though not cited",
        "fast_track",
        change=modest,
        extra=(
            (
                "talent",
                {"kind": "talent_recognition", "issued_on": "2024-05-01", "valid_until": None},
            ),
        ),
    ),
    Row(
        "the registry's degree scores, the typed one is noted",
        "fast_track",
        kinds=("criminal_record", "health"),
        extra=(degree_of_level("master"),),
        cite=("degree", "criminal_record", "health"),
    ),
    Row(
        "a stale health certificate refuses the residence permit",
        "refused",
        health_issued=timedelta(days=300),
        codes=frozenset({("residence", "health_certificate_too_old")}),
    ),
    Row(
        "a criminal record not cited is asked for",
        "documents_requested",
        cite=("degree", "health"),
    ),
    Row("a watch-list entry sends the case to an officer", "officer_review", watchlisted=True),
    Row(
        "an employer not in the registry is refused by identity",
        "refused",
        change=unknown_employer,
        codes=frozenset({("identity", "employer_not_registered")}),
    ),
]


async def seeded(gateway: Gateway, row: Row) -> tuple[Person, Body]:
    person = Person()
    await gateway.register(person, kinds=row.kinds, health_issued=TODAY - row.health_issued)
    holder = {"nationality": person.nationality, "passport_number": person.passport}
    for kind, record in row.extra:
        certificate_id = f"{kind}-x-{person.passport}"
        answer = await gateway.http.put(
            f"/v1/registry/certificates/{certificate_id}",
            json={"holder": holder, "details": {}, **record},
            headers=gateway.clerk,
        )
        assert answer.status_code in (200, 201), answer.text
        person.documents[str(record["kind"])] = certificate_id
    if row.watchlisted:
        await gateway.watchlist(person)
    cite = row.cite if row.cite is not None else row.kinds
    body = gateway.application(person, today=TODAY, documents=cite)
    row.change(body, person)
    return person, body


def reasons_of(view: Any) -> set[tuple[str, str, str]]:
    return {
        (r["side"], r["code"], str(r.get("legal_basis")))
        for r in view
        if r["code"] != "counterpart_refused"
    }


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_the_precheck_says_what_the_services_then_decide(gateway: Gateway, row: Row) -> None:
    person, body = await seeded(gateway, row)

    checked = await gateway.http.post("/v1/prechecks", json=body, headers=person.headers)
    assert checked.status_code == 200, checked.text
    precheck = checked.json()
    submitted = await gateway.submit(person, body)
    assert submitted.status_code == 202, submitted.text
    application_id = submitted.json()["id"]
    case = await gateway.wait_for(
        person, application_id, {*FINAL, "awaiting_documents", "awaiting_officer"}
    )
    staff = await gateway.case(None, application_id)

    assert precheck["outcome"] == row.outcome
    assert case["status"] == STATUS_OF_OUTCOME[row.outcome], case
    assert precheck["earliest_decision_on"] == case["deadline"]["due_on"]
    if row.codes:
        assert {(r["side"], r["code"]) for r in precheck["reasons"]} == row.codes
    if case["status"] == "refused":
        assert reasons_of(precheck["reasons"]) == reasons_of(case["decision"]["reasons"])
        assert precheck["eligible"] is not any(
            r["code"] == "not_eligible_category" for r in case["decision"]["reasons"]
        )
    else:
        assert precheck["reasons"] == []
    if case["status"] == "awaiting_documents":
        asked = set(case["documents_requested"]["documents"])
        assert {m["kind"] for m in precheck["missing"]} == asked
    if staff.get("classification"):  # identity refused nothing: the work permit classified
        classification = staff["classification"]
        # Read again: the applicant's view was read before the staff view, and the work
        # permit's classification may have arrived in between.
        case = await gateway.case(person, application_id)
        assert precheck["category"] == classification["category"] == case["category"]
        assert precheck["points"]["total"] == classification["points"] == case["points"]
        assert precheck["points"]["factors"] == classification["factors"]
        assert precheck["points"]["direct_criterion"] == classification["direct_criterion"]
    elif case["status"] == "refused":  # refused before any permit service classified it
        assert row.codes == {("identity", "employer_not_registered")}
    # (A case waiting for an officer may show no classification yet: the other side's
    # review can put it there before the work permit's answer arrives.)
    on_file = {d["registry_id"] for d in precheck["registry_documents"]}
    assert on_file == set(person.documents.values())
