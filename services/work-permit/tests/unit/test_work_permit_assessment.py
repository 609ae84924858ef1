"""Assessing a work permit: every refusal code, every review trigger, the validity formula."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from onewindow.contracts.v1.common import SUPPLEMENT_CODES, LegalBasis, Reason
from onewindow.contracts.v1.work_permit import AssessWorkPermit
from onewindow.permits.permit import PermitNumberNeeded
from onewindow.work_permit.domain.events import Refused, Reserved, ReviewRequired
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import ARTICLES, published_policies

POLICIES = published_policies()
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = "WP-2026-000001"


def document(kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "registry_id": f"{kind}-1",
        "issuer": "registry",
        "issued_on": "2020-01-01",
        **extra,
    }


def command(**changes: Any) -> AssessWorkPermit:
    """A Category-A applicant (salary 900,000: direct criterion) with every document."""
    data: dict[str, Any] = {
        "application_id": "app-1",
        "person_ref": "person-1",
        "date_of_birth": "1984-08-12",
        "passport_expires_on": "2033-10-31",
        "employer": {
            "uscc": "91310104MA1FL5KX1N",
            "name": "Example Ltd",
            "licence_valid_until": "2030-12-31",
        },
        "position": {
            "title": "Chief Scientist",
            "annual_salary_cny": 900_000,
            "contract_start": "2026-05-01",
            "contract_end": "2029-04-30",
            "months_in_china_per_year": 12,
        },
        "qualifications": {"education": "doctorate", "experience_years": 15},
        "documents": [document("degree"), document("criminal_record")],
        "application_date": TODAY.isoformat(),
    }
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return AssessWorkPermit.model_validate(data)


def assess(cmd: AssessWorkPermit, policies: Any = POLICIES) -> list[Any]:
    return WorkPermit("app-1").assess(cmd, policies, NOW, TODAY, NUMBER)


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


def test_a_category_a_applicant_with_every_document_is_reserved_with_a_number() -> None:
    outcome = assess(command())[-1]
    assert isinstance(outcome, Reserved)
    assert outcome.permit_number == NUMBER
    assert outcome.reserved_until == NOW + timedelta(days=30)


def test_reserving_without_an_allocated_number_asks_for_one() -> None:
    with pytest.raises(PermitNumberNeeded):
        WorkPermit("app-1").assess(command(), POLICIES, NOW, TODAY, None)


def test_a_refusal_needs_no_number() -> None:
    events = WorkPermit("app-1").assess(
        command(passport_expires_on="2026-03-01"), POLICIES, NOW, TODAY, None
    )
    assert isinstance(events[-1], Refused)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"passport_expires_on": "2026-03-01"},
            ["passport_expired"],
            id="a passport that expired the day before the application is refused as expired",
        ),
        pytest.param(
            {"passport_expires_on": "2026-09-01"},
            ["passport_validity_too_short"],
            id="a passport valid one day short of six months is too short",
        ),
        pytest.param(
            {"employer__licence_valid_until": "2026-03-01"},
            ["employer_licence_expired"],
            id="an employer licence that expired before the decision date is refused",
        ),
        pytest.param(
            {"position__annual_salary_cny": 100_000},
            ["not_eligible_category"],
            id="a Category-B applicant is not eligible while the pilot is off",
        ),
        pytest.param(
            {
                "passport_expires_on": "2026-01-01",
                "employer__licence_valid_until": "2025-12-31",
                "position__annual_salary_cny": 30_000,
                "qualifications__education": "other",
            },
            ["passport_expired", "employer_licence_expired", "not_eligible_category"],
            id="a refusal gathers every reason not just the first",
        ),
        pytest.param(
            {"passport_expires_on": "2026-01-01", "documents": []},
            ["passport_expired"],
            id="a refusal wins over a missing document",
        ),
    ],
)
def test_refusal(changes: dict[str, Any], expected: list[str]) -> None:
    outcome = assess(command(**changes))[-1]
    assert isinstance(outcome, Refused)
    assert codes(outcome.reasons) == expected
    assert {r.side for r in outcome.reasons} == {"work"}


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"passport_expires_on": "2026-09-02"}, id="six months of passport to the day"),
        pytest.param(
            {"employer__licence_valid_until": "2026-03-02"},
            id="a licence valid until the decision date itself",
        ),
    ],
)
def test_edges_that_still_pass(changes: dict[str, Any]) -> None:
    assert isinstance(assess(command(**changes))[-1], Reserved)


def test_the_category_refusal_says_why_and_hints_to_apply_separately() -> None:
    outcome = assess(command(position__annual_salary_cny=100_000))[-1]
    reason = outcome.reasons[0]
    assert reason.params["category"] == "B"
    assert reason.params["hint"] == "apply_separately"
    assert "separately" in (reason.detail or "")
    assert outcome.__class__ is Refused


def test_category_b_is_reserved_where_the_pilot_is_on() -> None:
    pilot = POLICIES.with_changes({"category_b_pilot": True})
    outcome = assess(command(position__annual_salary_cny=100_000), pilot)[-1]
    assert isinstance(outcome, Reserved)


def test_category_c_is_refused_even_where_the_pilot_is_on() -> None:
    pilot = POLICIES.with_changes({"category_b_pilot": True})
    changes = {"position__annual_salary_cny": 30_000, "qualifications__education": "other"}
    outcome = assess(command(**changes), pilot)[-1]
    assert codes(outcome.reasons) == ["not_eligible_category"]


@pytest.mark.parametrize(
    ("changes", "expected_codes", "missing"),
    [
        pytest.param(
            {"documents": [document("criminal_record")]},
            ["document_missing"],
            ("degree",),
            id="a missing degree sends the permit to review",
        ),
        pytest.param(
            {
                "documents": [
                    document("degree"),
                    document("criminal_record", valid_until="2026-03-01"),
                ]
            },
            ["document_expired"],
            ("criminal_record",),
            id="a criminal-record certificate that lapsed is asked for again as expired",
        ),
        pytest.param(
            {"documents": [document("degree")]},
            ["document_missing"],
            ("criminal_record",),
            id="a missing criminal-record certificate without a commitment sends it to review",
        ),
        pytest.param(
            {"position__contract_start": "2025-01-01", "position__contract_end": "2026-03-01"},
            ["document_missing"],
            ("employment_contract",),
            id="a contract that ended before the application counts as no contract",
        ),
        pytest.param(
            {"flags": ["watchlist_match"]},
            ["watchlist_match"],
            (),
            id="a watch-list flag sends the permit to an officer",
        ),
        pytest.param(
            {"documents": [], "flags": ["watchlist_match"]},
            ["document_missing", "document_missing", "watchlist_match"],
            ("degree", "criminal_record"),
            id="review gathers every missing document and every flag",
        ),
    ],
)
def test_review_trigger(
    changes: dict[str, Any], expected_codes: list[str], missing: tuple[str, ...]
) -> None:
    outcome = assess(command(**changes))[-1]
    assert isinstance(outcome, ReviewRequired)
    assert codes(outcome.reasons) == expected_codes
    assert outcome.missing_documents == missing


def recognition(valid_until: str | None) -> dict[str, Any]:
    return document("talent_recognition", valid_until=valid_until)


LOW_POINTS = {"position__annual_salary_cny": 100_000, "qualifications__education": "bachelor"}

# (rule, changes, outcome, reason codes, missing documents)
EXPIRED_CERTIFICATES: list[tuple[str, dict[str, Any], type, list[str], tuple[str, ...]]] = [
    (
        "an expired degree asks for a current one, not a refusal",
        {"documents": [document("degree", valid_until="2026-03-01"), document("criminal_record")]},
        ReviewRequired,
        ["document_expired"],
        ("degree",),
    ),
    (
        "a certificate valid on the application date itself still counts",
        {"documents": [document("degree"), document("criminal_record", valid_until="2026-03-02")]},
        Reserved,
        [],
        (),
    ),
    (
        "one certificate in force is enough beside an expired one of the same kind",
        {
            "documents": [
                document("degree"),
                document("criminal_record", registry_id="old", valid_until="2025-01-01"),
                document("criminal_record", registry_id="new"),
            ]
        },
        Reserved,
        [],
        (),
    ),
    (
        "a signed commitment stands in for an expired criminal-record certificate",
        {
            "documents": [
                document("degree"),
                document("criminal_record", valid_until="2026-01-01"),
            ],
            "commitments": {"criminal_record": True},
        },
        Reserved,
        [],
        (),
    ),
    (
        "an expired recognition the category depends on is asked for again, not refused",
        {
            **LOW_POINTS,
            "documents": [
                document("degree"),
                document("criminal_record"),
                recognition("2026-03-01"),
            ],
        },
        ReviewRequired,
        ["document_expired"],
        ("talent_recognition",),
    ),
    (
        "an expired recognition of a person eligible without it changes nothing",
        {"documents": [document("degree"), document("criminal_record"), recognition("2026-03-01")]},
        Reserved,
        [],
        (),
    ),
    (
        "a recognition in force beside an expired one makes Category A",
        {
            **LOW_POINTS,
            "documents": [
                document("degree"),
                document("criminal_record"),
                recognition("2026-03-01"),
                document("talent_recognition", registry_id="current"),
            ],
        },
        Reserved,
        [],
        (),
    ),
    (
        "an expired certificate and a passport refusal: the refusal wins",
        {
            "passport_expires_on": "2026-01-01",
            "documents": [document("degree", valid_until="2026-03-01")],
        },
        Refused,
        ["passport_expired"],
        (),
    ),
]


@pytest.mark.parametrize(
    ("rule", "changes", "outcome_type", "expected_codes", "missing"),
    EXPIRED_CERTIFICATES,
    ids=[e[0] for e in EXPIRED_CERTIFICATES],
)
def test_expired_cited_certificates(
    rule: str,
    changes: dict[str, Any],
    outcome_type: type,
    expected_codes: list[str],
    missing: tuple[str, ...],
) -> None:
    outcome = assess(command(**changes))[-1]
    assert isinstance(outcome, outcome_type), rule
    if isinstance(outcome, ReviewRequired | Refused):
        assert codes(outcome.reasons) == expected_codes, rule
    if isinstance(outcome, ReviewRequired):
        assert outcome.missing_documents == missing, rule


def test_an_expired_certificate_says_which_one_and_until_when() -> None:
    changes = {
        "documents": [
            document("degree"),
            document("criminal_record", registry_id="CR-2025", valid_until="2026-02-01"),
            document("criminal_record", registry_id="CR-2026", valid_until="2026-03-01"),
        ]
    }
    outcome = assess(command(**changes))[-1]
    assert isinstance(outcome, ReviewRequired)
    [reason] = outcome.reasons
    assert reason.params == {
        "kind": "criminal_record",
        "registry_id": "CR-2026",
        "valid_until": "2026-03-01",
    }
    assert reason.code in SUPPLEMENT_CODES


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(
            {
                "passport_expires_on": "2026-01-01",
                "employer__licence_valid_until": "2025-12-31",
                "position__annual_salary_cny": 30_000,
                "qualifications__education": "other",
            },
            id="every refusal",
        ),
        pytest.param(
            {
                "documents": [document("degree", valid_until="2026-01-01")],
                "position__contract_start": "2025-01-01",
                "position__contract_end": "2026-03-01",
                "flags": ["watchlist_match"],
            },
            id="every review trigger",
        ),
    ],
)
def test_every_reason_names_its_legal_basis(changes: dict[str, Any]) -> None:
    outcome = assess(command(**changes))[-1]
    assert isinstance(outcome, Refused | ReviewRequired)
    assert len(outcome.reasons) >= 3
    for reason in outcome.reasons:
        assert reason.legal_basis == LegalBasis(
            policy="fwp-2017.1-shanghai", article=ARTICLES[reason.code]
        ), reason.code


def test_a_signed_commitment_stands_in_for_the_criminal_record_certificate() -> None:
    changes = {"documents": [document("degree")], "commitments": {"criminal_record": True}}
    assert isinstance(assess(command(**changes))[-1], Reserved)


@pytest.mark.parametrize(
    ("contract_start", "contract_end", "passport", "valid_until"),
    [
        pytest.param(
            "2026-05-01",
            "2029-04-30",
            "2033-10-31",
            date(2029, 4, 30),
            id="the contract end limits the permit when it comes first",
        ),
        pytest.param(
            "2026-05-01",
            "2033-04-30",
            "2033-10-31",
            date(2031, 5, 1),
            id="five years from the contract start limit a longer contract",
        ),
        pytest.param(
            "2026-05-01",
            "2029-04-30",
            "2028-06-30",
            date(2028, 6, 30),
            id="the passport expiry limits the permit when it comes first",
        ),
        pytest.param(
            "2028-02-29",
            "2035-01-01",
            "2040-01-01",
            date(2033, 2, 28),
            id="five years from 29 February end on 28 February",
        ),
    ],
)
def test_validity_is_the_earliest_of_contract_end_five_years_and_passport(
    contract_start: str, contract_end: str, passport: str, valid_until: date
) -> None:
    cmd = command(
        position__contract_start=contract_start,
        position__contract_end=contract_end,
        passport_expires_on=passport,
    )
    outcome = assess(cmd)[-1]
    assert isinstance(outcome, Reserved)
    assert outcome.valid_until == valid_until


def test_the_assessment_records_the_classification_and_the_facts_for_later_steps() -> None:
    assessed, _ = assess(command())
    assert assessed.classification.category == "A"
    assert assessed.classification.direct_criterion == "salary"
    assert assessed.passport_expires_on == date(2033, 10, 31)
