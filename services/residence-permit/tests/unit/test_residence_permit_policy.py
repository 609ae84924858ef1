"""Residence-permit policy values are versioned data with an effective date and a source."""

from __future__ import annotations

from datetime import date

import pytest

from onewindow.residence_permit.domain.policy import NoPolicyInForce, published_policies


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
