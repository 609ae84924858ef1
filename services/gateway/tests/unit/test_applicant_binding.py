"""Applicant binding (DOMAIN.md "Evidence", API.md v1.1): an employer names the employee's
account, which then owns the case; a verified applicant applies only for its own passport."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from onewindow.contracts.v1.applications import (
    Actor,
    ApplicationReceived,
    ApplicationStatusChanged,
    Contact,
    Deadline,
    RequestExtension,
    SubmitApplication,
    SupplyDocuments,
    WithdrawApplication,
)
from onewindow.gateway.api.applications import ApplicationRequest
from onewindow.gateway.api.mapping import to_form
from onewindow.gateway.domain.binding import (
    check_passport,
    parse_passport_claim,
    submitter,
)
from onewindow.gateway.domain.errors import AccountNotYours, PassportNotYours
from onewindow.gateway.domain.ownership import owner_of_submission
from onewindow.gateway.readmodel.projection import changes
from onewindow.gateway.readmodel.routes import public_view
from onewindow.runtime.validation import InvalidInput

from .support import PROBLEMS, USCC, UnitGateway, application, auth, unit_gateway

KEY = "5b7d1c2e-3f4a-4b5c-8d6e-7f8091a2b3c4"
HR = Actor(sub="hr", role="employer", uscc=USCC)
ANNA = Actor(sub="anna", role="applicant")
VERIFIED_ANNA = Actor(sub="anna", role="applicant", passport="NLD:NX4K2P7R1")
FORM = to_form(ApplicationRequest.model_validate(application()))


def employer(**kwargs: Any) -> dict[str, str]:
    return auth("employer", "hr", uscc=USCC, **kwargs)


def keyed(headers: dict[str, str], key: str = KEY) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def naming(account: str | None) -> dict[str, Any]:
    return application(**{"applicant.account": account}) if account else application()


# --- the rules ---------------------------------------------------------------------------

SUBMITTERS = [
    ("an_employer_naming_the_employee", HR, "anna", HR.model_copy(update={"on_behalf_of": "anna"})),
    ("an_employer_naming_nobody", HR, None, HR),
    ("an_applicant_naming_nobody", ANNA, None, ANNA),
    ("an_applicant_naming_itself", ANNA, "anna", ANNA),
]


@pytest.mark.parametrize(
    ("who", "actor", "account", "expected"), SUBMITTERS, ids=[s[0] for s in SUBMITTERS]
)
def test_the_submitter_carries_the_account_an_employer_names(
    who: str, actor: Actor, account: str | None, expected: Actor
) -> None:
    assert submitter(actor, account) == expected


def test_an_applicant_may_not_name_another_account() -> None:
    with pytest.raises(AccountNotYours):
        submitter(ANNA, "bob")


OWNERS = [
    ("an_applicant_owns_its_case", ANNA, "anna"),
    ("the_named_employee_owns_the_employers_case", submitter(HR, "anna"), "anna"),
    ("an_employers_case_naming_nobody_has_no_applicant", HR, None),
]


@pytest.mark.parametrize(("who", "actor", "account"), OWNERS, ids=[o[0] for o in OWNERS])
def test_the_case_belongs_to_the_applicant_account(
    who: str, actor: Actor, account: str | None
) -> None:
    owner = owner_of_submission("case-1", actor, USCC)
    assert (owner.applicant_sub, owner.employer_uscc) == (account, USCC)


PASSPORT_CLAIMS = [
    ("NLD:NX4K2P7R1", "NLD:NX4K2P7R1"),
    ("nld:nx4k2p7r1", "NLD:NX4K2P7R1"),
    (" NLD : NX4K2P7R1 ", "NLD:NX4K2P7R1"),
]


@pytest.mark.parametrize(("claim", "canonical"), PASSPORT_CLAIMS)
def test_a_passport_claim_is_read_in_its_canonical_form(claim: str, canonical: str) -> None:
    assert parse_passport_claim(claim) == canonical


@pytest.mark.parametrize("claim", ["NX4K2P7R1", "XXX:NX4K2P7R1", "NLD:N1", "NLD:", ":NX4K2P7R1"])
def test_a_passport_claim_that_is_not_nat_number_is_refused(claim: str) -> None:
    with pytest.raises(InvalidInput):
        parse_passport_claim(claim)


PASSPORT_RULE = [
    ("an_unverified_account_applies_for_any_passport", ANNA, "NLD", "NX4K2P7R1", True),
    ("a_verified_account_applies_for_its_passport", VERIFIED_ANNA, "NLD", "NX4K2P7R1", True),
    (
        "a_verified_account_applies_for_its_passport_typed_lower",
        VERIFIED_ANNA,
        "nld",
        "nx4k2p7r1",
        True,
    ),
    ("another_passport_number", VERIFIED_ANNA, "NLD", "NX4K2P7R2", False),
    ("the_same_number_of_another_country", VERIFIED_ANNA, "BEL", "NX4K2P7R1", False),
]


@pytest.mark.parametrize(
    ("who", "actor", "nationality", "number", "allowed"),
    PASSPORT_RULE,
    ids=[r[0] for r in PASSPORT_RULE],
)
def test_a_verified_applicant_applies_only_for_its_own_passport(
    who: str, actor: Actor, nationality: str, number: str, allowed: bool
) -> None:
    applicant = FORM.applicant.model_copy(
        update={
            "nationality": nationality,
            "passport": FORM.applicant.passport.model_copy(update={"number": number}),
        }
    )
    form = FORM.model_copy(update={"applicant": applicant})
    if allowed:
        check_passport(actor, form)
    else:
        with pytest.raises(PassportNotYours):
            check_passport(actor, form)


def test_the_case_view_belongs_to_the_account_the_employer_named() -> None:
    received = ApplicationReceived(
        application_id="case-1",
        submitted_at=datetime(2026, 6, 1, 2, tzinfo=UTC),
        channel="online",
        submitted_by=submitter(HR, "anna"),
        employer_uscc=USCC,
        contact=Contact(email="anna@example.org"),
        deadline=Deadline(due_on=date(2026, 6, 29), clock="running"),
    )
    found = changes(received, received.submitted_at)
    assert found is not None
    assert found[0]["owner_sub"] == "anna"
    assert found[0]["employer_uscc"] == USCC


# --- through the API -----------------------------------------------------------------------


async def submitted_by_employer(gateway: UnitGateway, account: str | None = "anna") -> str:
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", json=naming(account), headers=keyed(employer())
        )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_an_employer_names_the_employees_account_and_the_case_is_theirs() -> None:
    gateway = unit_gateway()
    case = await submitted_by_employer(gateway)
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, SubmitApplication)
    assert sent.command.submitted_by == Actor(
        sub="hr", role="employer", uscc=USCC, on_behalf_of="anna"
    )
    owner = gateway.owners.owned[case]
    assert (owner.applicant_sub, owner.employer_uscc) == ("anna", USCC)


ACTS = [
    ("supplies_documents", "documents", {"documents": [{"kind": "health", "registry_id": "h-2"}]}),
    ("withdraws", "withdrawal", None),
]


@pytest.mark.parametrize(("act", "path", "body"), ACTS, ids=[a[0] for a in ACTS])
async def test_the_named_employee_acts_on_the_case_and_nobody_else(
    act: str, path: str, body: dict[str, Any] | None
) -> None:
    gateway = unit_gateway()
    case = await submitted_by_employer(gateway)
    gateway.facts.status_of[case] = "awaiting_documents"
    async with gateway.client() as client:
        anna = await client.post(
            f"/v1/applications/{case}/{path}", json=body, headers=auth("applicant", "anna")
        )
        bob = await client.post(
            f"/v1/applications/{case}/{path}", json=body, headers=auth("applicant", "bob")
        )
    assert anna.status_code == 202, anna.text
    assert bob.status_code == 404
    acted = gateway.bus.sent[-1].command
    assert isinstance(acted, SupplyDocuments | WithdrawApplication)
    assert acted.application_id == case
    assert len(gateway.bus.sent) == 2  # the submission and anna's act; bob sent nothing


async def test_the_named_employee_extends_the_permits_of_the_case() -> None:
    gateway = unit_gateway()
    case = await submitted_by_employer(gateway)
    gateway.facts.case_of["WP-1"] = case
    async with gateway.client() as client:
        response = await client.post(
            "/v1/work-permits/WP-1/extensions",
            json={"contract_end": "2031-01-03"},
            headers=keyed(auth("applicant", "anna")),
        )
    assert response.status_code == 202, response.text
    assert isinstance(gateway.bus.sent[-1].command, RequestExtension)


async def test_an_employers_case_naming_nobody_stays_invisible_to_applicants() -> None:
    gateway = unit_gateway()
    case = await submitted_by_employer(gateway, account=None)
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/applications/{case}/withdrawal", headers=auth("applicant", "anna")
        )
    assert response.status_code == 404


async def test_an_applicant_naming_another_account_is_a_403_problem_and_nothing_happens() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", json=naming("bob"), headers=keyed(auth("applicant", "anna"))
        )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEMS + "account-not-yours"
    assert "'bob'" in problem["detail"]
    assert gateway.nothing_stored_or_sent()


async def test_an_applicant_naming_itself_submits_as_usual() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", json=naming("anna"), headers=keyed(auth("applicant", "anna"))
        )
    assert response.status_code == 202
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, SubmitApplication)
    assert sent.command.submitted_by == ANNA


async def test_the_same_key_naming_another_account_is_another_request() -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        first = await client.post(
            "/v1/applications", json=naming("anna"), headers=keyed(employer())
        )
        again = await client.post(
            "/v1/applications", json=naming("anna"), headers=keyed(employer())
        )
        other = await client.post("/v1/applications", json=naming("bob"), headers=keyed(employer()))
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert other.status_code == 422
    assert other.json()["type"] == PROBLEMS + "idempotency-key-reused"
    assert len(gateway.bus.sent) == 1


async def test_a_verified_applicant_submits_for_its_passport_and_the_command_says_so() -> None:
    gateway = unit_gateway()
    headers = keyed(auth("applicant", "anna", passport="nld:NX4K2P7R1"))
    async with gateway.client() as client:
        response = await client.post("/v1/applications", json=application(), headers=headers)
    assert response.status_code == 202, response.text
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, SubmitApplication)
    assert sent.command.submitted_by.passport == "NLD:NX4K2P7R1"


async def test_a_verified_applicant_applying_for_another_passport_is_403() -> None:
    gateway = unit_gateway()
    headers = keyed(auth("applicant", "anna", passport="NLD:NX4K2P7R2"))
    async with gateway.client() as client:
        response = await client.post("/v1/applications", json=application(), headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == PROBLEMS + "passport-not-verified"
    assert gateway.nothing_stored_or_sent()


async def test_an_applicant_token_with_a_malformed_passport_claim_is_401() -> None:
    gateway = unit_gateway()
    headers = keyed(auth("applicant", "anna", passport="NX4K2P7R1"))
    async with gateway.client() as client:
        response = await client.post("/v1/applications", json=application(), headers=headers)
    assert response.status_code == 401
    assert "passport" in response.json()["detail"]


async def test_a_passport_claim_on_an_employers_token_means_nothing() -> None:
    gateway = unit_gateway()
    headers = keyed(employer(passport="NLD:NX4K2P7R2"))
    async with gateway.client() as client:
        response = await client.post("/v1/applications", json=application(), headers=headers)
    assert response.status_code == 202
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, SubmitApplication)
    assert sent.command.submitted_by.passport is None


def test_identitys_flags_are_shown_to_staff_only() -> None:
    changed = ApplicationStatusChanged(
        application_id="case-1",
        status="awaiting_officer",
        at=datetime(2026, 6, 1, 3, tzinfo=UTC),
        summary="An officer reviews the case",
        flags=("unverified_applicant",),
    )
    found = changes(changed, changed.at)
    assert found is not None
    doc = {"_id": "case-1", **found[0]}
    assert public_view("case-1", doc, staff=True)["flags"] == ["unverified_applicant"]
    assert "flags" not in public_view("case-1", doc)
