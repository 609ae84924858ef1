"""What the gateway's pre-check keeps beside the services it may not import, held equal to
their sources: the saga's due period and identity's legal basis and wording of the reasons
it gives before any permit is assessed (`onewindow.gateway.domain.precheck`)."""

from __future__ import annotations

from datetime import date

from onewindow.applications.domain.policy import policy_on
from onewindow.gateway.domain import precheck
from onewindow.identity.domain import policy as identity_policy
from onewindow.identity.domain import verification


def test_the_decision_is_due_after_the_saga_s_number_of_working_days() -> None:
    for day in (date(2024, 1, 1), date(2026, 6, 1), date(2030, 1, 1)):
        assert policy_on(day).decision_due_working_days == precheck.DECISION_DUE_WORKING_DAYS


def test_identity_s_reasons_rest_on_identity_s_articles() -> None:
    assert precheck.IDENTITY_POLICY == identity_policy.POLICY
    for code, article in precheck.IDENTITY_ARTICLES.items():
        assert identity_policy.ARTICLES[code] == article


def test_resolved_documents_name_their_issuers_as_identity_does() -> None:
    assert precheck.ISSUER_NOT_RECORDED == verification.ISSUER_NOT_RECORDED
    assert precheck.UPLOADED_BY_APPLICANT == verification.UPLOADED_BY_APPLICANT
