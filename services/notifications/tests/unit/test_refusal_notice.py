"""A refusal names the legal basis of every reason; instants are dated in Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onewindow.contracts.v1.common import LegalBasis, Reason
from onewindow.notifications import examples
from onewindow.notifications.adapters.templates import Renderer, moment_en, moment_zh
from onewindow.notifications.domain.notices import Addressing, legal_basis_text, plan, webhook_body

HOOK = "https://hooks.example.com/onewindow"
EXPIRED = Reason(
    code="passport_expired",
    side="identity",
    params={"expires_on": "2027-01-03"},
    legal_basis=LegalBasis(policy="one-window-2026.1-shanghai", article="§2.1"),
)
WITHOUT_BASIS = Reason(code="counterpart_refused", side="residence")


def refusal(*reasons: Reason) -> list[str]:
    event = examples.refused(examples.CASE_ID).model_copy(update={"reasons": reasons})
    [notice] = [n for n in plan(event, Addressing("s@example.org")) if n.audience == "applicant"]
    message = Renderer().render(notice)
    return [message.text, message.html]


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        pytest.param(EXPIRED, "one-window-2026.1-shanghai §2.1", id="a reason with its basis"),
        pytest.param(WITHOUT_BASIS, None, id="a reason without one"),
    ],
)
def test_the_legal_basis_is_cited_as_policy_and_article(reason: Reason, text: str | None) -> None:
    assert legal_basis_text(reason) == text


def test_the_refusal_names_each_reasons_legal_basis_in_both_languages() -> None:
    for rendered in refusal(EXPIRED):
        assert "legal basis: one-window-2026.1-shanghai §2.1" in rendered
        assert "法律依据：one-window-2026.1-shanghai §2.1" in rendered


def test_a_reason_without_a_basis_is_still_listed_without_the_clause() -> None:
    text, html = refusal(WITHOUT_BASIS)
    assert "the two are decided together." in text
    assert "legal basis" not in text
    assert "法律依据" not in html


def test_the_employers_webhook_gets_the_legal_basis_of_each_reason() -> None:
    event = examples.refused(examples.CASE_ID)
    [hook] = [n for n in plan(event, Addressing("s@example.org", HOOK)) if n.channel == "webhook"]
    body = webhook_body(hook, delivery_id="d-1", event_id="e-1")
    assert [r["legal_basis"] for r in body["facts"]["reasons"]] == [
        "fwp-2017.1-shanghai §5.3",
        "one-window-2026.1-shanghai §9.1",
    ]


@pytest.mark.parametrize(
    ("moment", "english", "chinese"),
    [
        pytest.param(
            datetime(2027, 1, 11, 15, 59, tzinfo=UTC),
            "11 January 2027, 23:59 Beijing time",
            "2027年1月11日 23:59（北京时间）",
            id="23:59 in Shanghai is still the 11th",
        ),
        pytest.param(
            datetime(2027, 1, 11, 16, 1, tzinfo=UTC),
            "12 January 2027, 00:01 Beijing time",
            "2027年1月12日 00:01（北京时间）",
            id="00:01 in Shanghai is the 12th while UTC is on the 11th",
        ),
    ],
)
def test_an_instant_is_dated_in_shanghai(moment: datetime, english: str, chinese: str) -> None:
    assert (moment_en(moment), moment_zh(moment)) == (english, chinese)


def test_a_decision_just_after_shanghai_midnight_is_dated_the_next_day() -> None:
    event = examples.refused(examples.CASE_ID).model_copy(
        update={"decided_at": datetime(2027, 1, 11, 16, 1, tzinfo=UTC)}
    )
    [notice] = [n for n in plan(event, Addressing("s@example.org")) if n.audience == "applicant"]
    text = Renderer().render(notice).text
    assert "Decided: 12 January 2027, 00:01 Beijing time" in text
    assert "11 January 2027" not in text
