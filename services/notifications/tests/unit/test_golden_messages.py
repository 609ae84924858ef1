"""Every message as rendered, compared with the golden files under `tests/golden/`.

Regenerate after a deliberate change with `UPDATE_GOLDEN=1` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from onewindow.contracts.v1.common import Language
from onewindow.notifications import examples
from onewindow.notifications.adapters.templates import Renderer
from onewindow.notifications.domain.notices import Addressing, Audience, Notice, plan

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

CASES: list[tuple[str, Audience, Language]] = [
    *[
        (template, "applicant", language)
        for template in ("received", "documents_requested", "approved", "refused", "withdrawn")
        for language in ("en", "zh")
    ],
    *[
        (template, "employer", "en")
        for template in ("received", "approved", "refused", "withdrawn")
    ],
    ("deadline_escalated", "supervisor", "zh"),
]


def notice_for(template: str, audience: Audience, language: Language) -> Notice:
    event = examples.TOLD[template](examples.CASE_ID, examples.contact(language))
    notices = plan(event, Addressing("supervisors@example.org"))
    return next(n for n in notices if n.audience == audience and n.channel == "email")


def check(path: Path, rendered: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden file"


@pytest.mark.parametrize(("template", "audience", "language"), CASES)
def test_the_message_reads_as_its_golden_file(
    template: str, audience: Audience, language: Language
) -> None:
    notice = notice_for(template, audience, language)
    message = Renderer().render(notice)
    name = f"{template}-{audience}-{language}"
    check(GOLDEN / f"{name}.txt", f"Subject: {message.subject}\n\n{message.text}")
    check(GOLDEN / f"{name}.html", message.html)


def test_every_golden_file_belongs_to_a_case() -> None:
    expected = {f"{t}-{a}-{lang}{ext}" for t, a, lang in CASES for ext in (".txt", ".html")}
    assert {path.name for path in GOLDEN.iterdir()} == expected


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_chosen_language_comes_first_and_the_other_follows(language: Language) -> None:
    message = Renderer().render(notice_for("received", "applicant", language))
    english, chinese = message.text.index("Dear applicant"), message.text.index("尊敬的申请人")
    assert (english < chinese) == (language == "en")
    assert message.subject.startswith("Application received" if language == "en" else "申请已受理")
    assert "Application received" in message.subject
    assert "申请已受理" in message.subject


def test_html_escapes_what_an_officer_wrote_but_plain_text_keeps_it() -> None:
    message = Renderer().render(notice_for("refused", "applicant", "en"))
    assert "below the stated &lt;annual&gt; figure &amp; unproven" in message.html
    assert "<annual>" not in message.html
    assert "below the stated <annual> figure & unproven" in message.text


def test_a_refusal_states_every_reason_the_appeal_route_and_its_deadline() -> None:
    message = Renderer().render(notice_for("refused", "applicant", "zh"))
    for words in (
        "The reviewing officer refused the work permit",
        "审核人员不予批准工作许可",
        "The residence permit was cancelled because the work permit was refused",
        "administrative reconsideration within 60 days",
        "60日内",
        "12 March 2027",
        "2027年3月12日",
    ):
        assert words in message.text, words
