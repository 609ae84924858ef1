"""Assessing a residence permit: every refusal code, every review trigger, the age exemptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from onewindow.contracts.v1.common import SUPPLEMENT_CODES, LegalBasis
from onewindow.contracts.v1.residence_permit import AssessResidencePermit
from onewindow.permits.permit import PermitNumberNeeded
from onewindow.residence_permit.domain.events import Refused, Reserved, ReviewRequired
from onewindow.residence_permit.domain.permit import ResidencePermit
from onewindow.residence_permit.domain.policy import ARTICLES, published_policies

POLICIES = published_policies()
APPLIED = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = "RP-2026-000001"


def health(issued_on: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "health",
        "registry_id": "h-1",
        "issuer": "clinic",
        "issued_on": issued_on,
        **extra,
    }


def command(**changes: Any) -> AssessResidencePermit:
    """An adult applicant with a passport to 2033, a registration and a recent certificate."""
    data: dict[str, Any] = {
        "application_id": "app-1",
        "person_ref": "person-1",
        "date_of_birth": "1984-08-12",
        "passport_expires_on": "2033-10-31",
        "registration_number": "XH-2026-000123",
        "documents": [health("2026-01-15")],
        "application_date": APPLIED.isoformat(),
    } | changes
    return AssessResidencePermit.model_validate(data)


def assess(cmd: AssessResidencePermit) -> list[Any]:
    return ResidencePermit("app-1").assess(cmd, POLICIES, NOW, NUMBER)


def test_an_applicant_with_everything_in_order_is_reserved_with_a_number() -> None:
    outcome = assess(command())[-1]
    assert outcome == Reserved(permit_number=NUMBER, reserved_until=NOW + timedelta(days=30))


def test_reserving_without_an_allocated_number_asks_for_one() -> None:
    with pytest.raises(PermitNumberNeeded):
        ResidencePermit("app-1").assess(command(), POLICIES, NOW, None)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"passport_expires_on": "2026-03-01"},
            ["passport_expired"],
            id="a passport expired before the application date is refused as expired",
        ),
        pytest.param(
            {"passport_expires_on": "2026-09-01"},
            ["passport_validity_too_short"],
            id="a passport valid one day short of six months is too short",
        ),
        pytest.param(
            {"documents": [health("2025-09-01")]},
            ["health_certificate_too_old"],
            id="a health certificate issued six months and a day before is too old",
        ),
        pytest.param(
            {
                "passport_expires_on": "2026-01-01",
                "registration_number": None,
                "documents": [health("2024-01-01")],
            },
            ["passport_expired", "health_certificate_too_old"],
            id="a refusal gathers every reason not just the first",
        ),
    ],
)
def test_refusal(changes: dict[str, Any], expected: list[str]) -> None:
    outcome = assess(command(**changes))[-1]
    assert isinstance(outcome, Refused)
    assert [r.code for r in outcome.reasons] == expected
    assert {r.side for r in outcome.reasons} == {"residence"}
    for reason in outcome.reasons:
        assert reason.legal_basis == LegalBasis(
            policy="rp-2013.1-shanghai", article=ARTICLES[reason.code]
        ), reason.code


def test_the_too_old_refusal_names_the_issue_date_and_the_limit() -> None:
    (reason,) = assess(command(documents=[health("2025-09-01")]))[-1].reasons
    assert reason.params["issued_on"] == "2025-09-01"
    assert reason.params["maximum_months"] == "6"


@pytest.mark.parametrize(
    ("changes"),
    [
        pytest.param(
            {"documents": [health("2025-09-02")]},
            id="a health certificate issued exactly six months before is accepted",
        ),
        pytest.param(
            {"documents": [health("2024-01-01"), health("2026-02-01")]},
            id="the newest of several health certificates counts",
        ),
        pytest.param(
            {"passport_expires_on": "2026-09-02"},
            id="six months of passport to the day are enough",
        ),
        pytest.param(
            {"date_of_birth": "2008-03-03", "documents": []},
            id="a 17-year-old needs no health certificate",
        ),
        pytest.param(
            {"date_of_birth": "2008-03-03", "documents": [health("2020-01-01")]},
            id="an old certificate of a 17-year-old does not matter",
        ),
        pytest.param(
            {"date_of_birth": "1955-03-02", "documents": []},
            id="a 71-year-old needs no health certificate",
        ),
    ],
)
def test_accepted_edges(changes: dict[str, Any]) -> None:
    assert isinstance(assess(command(**changes))[-1], Reserved)


@pytest.mark.parametrize(
    ("changes", "expected", "missing"),
    [
        pytest.param(
            {"documents": []},
            ["document_missing"],
            ("health",),
            id="a missing health certificate sends the permit to review",
        ),
        pytest.param(
            {"date_of_birth": "2008-03-02", "documents": []},
            ["document_missing"],
            ("health",),
            id="an 18-year-old needs a health certificate",
        ),
        pytest.param(
            {"date_of_birth": "1955-03-03", "documents": []},
            ["document_missing"],
            ("health",),
            id="a 70-year-old still needs a health certificate",
        ),
        pytest.param(
            {"flags": ["watchlist_match"]},
            ["watchlist_match"],
            (),
            id="a watch-list flag sends the permit to an officer",
        ),
        pytest.param(
            {"documents": [], "flags": ["watchlist_match"]},
            ["document_missing", "watchlist_match"],
            ("health",),
            id="review gathers the missing certificate and the flag",
        ),
        pytest.param(
            {"registration_number": None},
            ["registration_number_required"],
            ("registration_number",),
            id="no temporary residence registration asks for the number",
        ),
        pytest.param(
            {"registration_number": "  "},
            ["registration_number_required"],
            ("registration_number",),
            id="a blank registration number counts as none",
        ),
        pytest.param(
            {"documents": [health("2026-01-15", valid_until="2026-03-01")]},
            ["document_expired"],
            ("health",),
            id="an expired health certificate asks for a current one",
        ),
        pytest.param(
            {
                "documents": [
                    health("2025-12-01", valid_until="2026-02-01", registry_id="h-old"),
                    health("2026-01-15", valid_until="2026-03-01", registry_id="h-new"),
                ]
            },
            ["document_expired"],
            ("health",),
            id="of several expired certificates one reason names the last to expire",
        ),
        pytest.param(
            {
                "registration_number": None,
                "documents": [health("2024-01-01", valid_until="2025-01-01")],
            },
            ["registration_number_required", "document_expired"],
            ("registration_number", "health"),
            id="an old expired certificate is asked for again, not refused as too old",
        ),
    ],
)
def test_review_trigger(changes: dict[str, Any], expected: list[str], missing: tuple[str]) -> None:
    outcome = assess(command(**changes))[-1]
    assert isinstance(outcome, ReviewRequired)
    assert [r.code for r in outcome.reasons] == expected
    assert outcome.missing_documents == missing


def test_a_refusal_wins_over_a_missing_health_certificate() -> None:
    outcome = assess(command(passport_expires_on="2026-03-01", documents=[]))[-1]
    assert isinstance(outcome, Refused)
    assert [r.code for r in outcome.reasons] == ["passport_expired"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(
            {"documents": [health("2026-01-15", valid_until="2026-03-02")]},
            id="a health certificate valid on the application date itself counts",
        ),
        pytest.param(
            {
                "documents": [
                    health("2025-06-01", valid_until="2026-01-01", registry_id="h-old"),
                    health("2026-01-15", registry_id="h-new"),
                ]
            },
            id="an expired certificate beside one in force changes nothing",
        ),
        pytest.param(
            {
                "date_of_birth": "1950-01-01",
                "documents": [health("2020-01-01", valid_until="2021-01-01")],
            },
            id="an expired certificate of someone exempt changes nothing",
        ),
    ],
)
def test_expired_certificates_that_do_not_matter(changes: dict[str, Any]) -> None:
    assert isinstance(assess(command(**changes))[-1], Reserved)


def test_a_supplement_request_says_which_certificate_expired_and_when() -> None:
    outcome = assess(command(documents=[health("2026-01-15", valid_until="2026-03-01")]))[-1]
    assert isinstance(outcome, ReviewRequired)
    [reason] = outcome.reasons
    assert reason.params == {"kind": "health", "registry_id": "h-1", "valid_until": "2026-03-01"}
    assert reason.legal_basis == LegalBasis(policy="rp-2013.1-shanghai", article="§30.4")


def test_a_missing_registration_or_an_expired_certificate_is_only_a_supplement() -> None:
    outcome = assess(
        command(
            registration_number=None, documents=[health("2026-01-15", valid_until="2026-03-01")]
        )
    )[-1]
    assert isinstance(outcome, ReviewRequired)
    assert {r.code for r in outcome.reasons} <= SUPPLEMENT_CODES
    assert all(r.legal_basis is not None for r in outcome.reasons)
