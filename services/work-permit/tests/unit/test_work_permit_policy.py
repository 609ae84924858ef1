"""Policy values are versioned data with an effective date and a cited source."""

from __future__ import annotations

from datetime import date

import pytest

from onewindow.contracts.v1.common import LegalBasis
from onewindow.permits.policy import NoPolicyInForce
from onewindow.work_permit.domain.policy import (
    ARTICLES,
    LEGAL_BASIS_POLICY,
    PolicyBook,
    legal_basis,
    published_policies,
)
from onewindow.work_permit.domain.reasons import REASONS

PUBLISHED = published_policies()
FIRST = PUBLISHED.versions[0]


def test_the_published_policy_cites_its_source_and_takes_effect_in_april_2017() -> None:
    assert FIRST.effective_from == date(2017, 4, 1)
    assert "Classification Standard" in FIRST.source


def test_the_shipped_policy_has_the_shanghai_defaults() -> None:
    assert FIRST.local_average_annual_wage_cny == 149_208
    assert FIRST.categories.a_min_points == 85
    assert FIRST.categories.b_min_points == 60
    assert FIRST.category_b_pilot is False
    assert FIRST.eligible_categories == {"A"}


def test_policies_are_read_once_per_process() -> None:
    assert published_policies() is PUBLISHED


def test_no_policy_is_in_force_before_the_first_effective_date() -> None:
    with pytest.raises(NoPolicyInForce):
        PUBLISHED.in_force_on(date(2017, 3, 31))


@pytest.mark.parametrize(
    ("day", "version"),
    [
        pytest.param(date(2017, 4, 1), "fwp-2017.1-shanghai", id="the old version on its own day"),
        pytest.param(date(2027, 6, 30), "fwp-2017.1-shanghai", id="the old one the day before"),
        pytest.param(date(2027, 7, 1), "pilot-2027", id="the new version from its effective day"),
        pytest.param(date(2030, 1, 1), "pilot-2027", id="the new version later on"),
    ],
)
def test_the_version_in_force_is_the_latest_that_took_effect(day: date, version: str) -> None:
    newer = FIRST.model_copy(
        update={
            "version": "pilot-2027",
            "effective_from": date(2027, 7, 1),
            "category_b_pilot": True,
        }
    )
    book = PolicyBook.of([newer, FIRST])
    assert book.in_force_on(day).version == version


def test_the_legal_basis_cites_a_published_policy_version() -> None:
    assert LEGAL_BASIS_POLICY in {p.version for p in PUBLISHED.versions}
    assert legal_basis("document_expired") == LegalBasis(
        policy="fwp-2017.1-shanghai", article=ARTICLES["document_expired"]
    )


def test_reasons_outside_the_work_permit_have_no_article_here() -> None:
    with pytest.raises(KeyError):
        legal_basis("health_certificate_too_old")


def test_every_reason_the_work_permit_gives_has_an_article() -> None:
    given = [
        REASONS.passport_expired(date(2026, 1, 1), date(2026, 3, 2)),
        REASONS.refused_by_officer("officer-1", ""),
        REASONS.permit_not_found("WP-1"),
        REASONS.contract_not_extended(date(2029, 1, 1), date(2029, 1, 1)),
        REASONS.watchlist_match(),
    ]
    assert all(r.legal_basis == legal_basis(r.code) for r in given)
