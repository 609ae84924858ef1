"""Residence-permit policy values are versioned data with an effective date and a source."""

from __future__ import annotations

from datetime import date

import pytest

from onewindow.contracts.v1.common import LegalBasis
from onewindow.permits.policy import NoPolicyInForce
from onewindow.residence_permit.domain.policy import (
    LEGAL_BASIS_POLICY,
    legal_basis,
    published_policies,
)
from onewindow.residence_permit.domain.reasons import REASONS


def test_the_published_policy_cites_the_exit_and_entry_law_and_its_effective_date() -> None:
    policy = published_policies().in_force_on(date(2026, 3, 2))
    assert policy.effective_from == date(2013, 7, 1)
    assert "Exit and Entry Administration Law" in policy.source
    assert (policy.passport_min_validity_months, policy.health_certificate_max_age_months) == (
        6,
        6,
    )
    assert (
        policy.health_certificate_exempt.under_age,
        policy.health_certificate_exempt.over_age,
    ) == (18, 70)


def test_no_policy_is_in_force_before_the_law_took_effect() -> None:
    with pytest.raises(NoPolicyInForce):
        published_policies().in_force_on(date(2013, 6, 30))


def test_the_legal_basis_cites_a_published_policy_version() -> None:
    assert LEGAL_BASIS_POLICY in {p.version for p in published_policies().versions}
    assert legal_basis("registration_number_required") == LegalBasis(
        policy="rp-2013.1-shanghai", article="§39.1"
    )


def test_every_reason_the_residence_permit_gives_has_an_article() -> None:
    given = [
        REASONS.refused_by_officer("officer-1", ""),
        REASONS.permit_not_issued("app-1", "reserved"),
        REASONS.watchlist_match(),
        REASONS.health_certificate_missing(),
        REASONS.passport_validity_too_short(date(2026, 5, 1), date(2026, 9, 2), 6),
    ]
    assert all(r.legal_basis == legal_basis(r.code) for r in given)
    with pytest.raises(KeyError):
        legal_basis("not_eligible_category")  # a work-permit reason
