"""Who is told of each application event, over which channel, in which language."""

from __future__ import annotations

import pytest

from onewindow.contracts.v1.common import Language
from onewindow.notifications import examples
from onewindow.notifications.domain.notices import Addressing, plan

HOOK = "https://hooks.example.com/onewindow"
SUPERVISORS = "supervisors@example.org"
A, E = examples.APPLICANT, examples.EMPLOYER

# event → the (audience, channel, recipient) told, with the employer's webhook registered
EVERYONE = {("applicant", "email", A), ("employer", "email", E), ("employer", "webhook", HOOK)}
TOLD = {
    "received": EVERYONE,
    "documents_requested": {("applicant", "email", A)},
    "approved": EVERYONE,
    "refused": EVERYONE,
    "withdrawn": EVERYONE,
    "deadline_escalated": {("supervisor", "email", SUPERVISORS)},
}


@pytest.mark.parametrize("template", list(TOLD))
@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_event_tells_exactly_whom_it_concerns(template: str, language: Language) -> None:
    event = examples.TOLD[template](examples.CASE_ID, examples.contact(language))
    notices = plan(event, Addressing(SUPERVISORS, HOOK))
    assert {(n.audience, n.channel, n.recipient) for n in notices} == TOLD[template]
    assert len(notices) == len(TOLD[template])
    assert {n.template for n in notices} == {template}
    assert {n.application_id for n in notices} == {examples.CASE_ID}
    expected_language = "zh" if template == "deadline_escalated" else language
    assert {n.language for n in notices} == {expected_language}


def test_an_event_nobody_is_told_of_calls_for_nothing() -> None:
    assert plan(examples.status_changed(), Addressing(SUPERVISORS, HOOK)) == []


def test_without_an_employer_contact_only_the_applicant_is_written_to() -> None:
    event = examples.approved(who=examples.contact(employer=None))
    assert [(n.audience, n.recipient) for n in plan(event, Addressing(SUPERVISORS))] == [
        ("applicant", A)
    ]


def test_an_address_without_an_at_sign_is_not_written_to() -> None:
    event = examples.received(who=examples.contact(email="not-an-address", employer="@"))
    assert plan(event, Addressing(SUPERVISORS)) == []


def test_no_supervisor_address_means_no_escalation_mail() -> None:
    assert plan(examples.deadline_escalated(), Addressing("")) == []


def test_a_refusal_carries_every_reason_in_both_languages_and_the_appeal() -> None:
    (notice,) = plan(examples.refused(who=examples.contact(employer=None)), Addressing(""))
    reasons = notice.facts["reasons"]
    assert [r["code"] for r in reasons] == ["refused_by_officer", "counterpart_refused"]
    assert all(r["en"] and r["zh"] for r in reasons)
    assert notice.facts["appeal"]["deadline"].isoformat() == "2027-03-12"
    assert "行政复议" in notice.facts["appeal"]["route_zh"]
