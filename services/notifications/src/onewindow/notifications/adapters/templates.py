"""Renders a notice with the Jinja2 templates under `notifications/templates/`.

Each template exists once per language (`en/…`, `zh/…`) as plain text (`.txt`,
which also sets the `subject`) and HTML (`.html`, autoescaped). The message puts
the recipient's language first and the other one below it (`layout.txt`,
`layout.html`). Undefined names fail loudly, so a template and its facts cannot
drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from onewindow.contracts.v1.common import Language
from onewindow.notifications.domain.notices import Notice
from onewindow.runtime.clock import SHANGHAI, local_date

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
_OTHER: dict[Language, Language] = {"en": "zh", "zh": "en"}
SUBJECT_SEPARATOR = " | "


@dataclass(frozen=True)
class RenderedMessage:
    """A notice in words: one subject line, a plain-text part and an HTML part."""

    subject: str
    text: str
    html: str


def date_en(day: date) -> str:
    """`2027-01-14` → `14 January 2027` (no locale involved)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def date_zh(day: date) -> str:
    """`2027-01-14` → `2027年1月14日`."""
    return f"{day.year}年{day.month}月{day.day}日"


# Instants are shown in Beijing time: the time of the office that decided, and its date
# the Shanghai date the law counts (never the UTC date, a day behind before 08:00).
def moment_en(moment: datetime) -> str:
    """An instant as `14 January 2027, 09:30 Beijing time`."""
    return f"{date_en(local_date(moment))}, {moment.astimezone(SHANGHAI):%H:%M} Beijing time"


def moment_zh(moment: datetime) -> str:
    """An instant as `2027年1月14日 09:30（北京时间）`."""
    return f"{date_zh(local_date(moment))} {moment.astimezone(SHANGHAI):%H:%M}（北京时间）"


def make_environment() -> Environment:
    """The Jinja2 environment of the notification templates (HTML autoescaped)."""
    env = Environment(
        loader=PackageLoader("onewindow.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(date_en=date_en, date_zh=date_zh, moment_en=moment_en, moment_zh=moment_zh)
    return env


class Renderer:
    """Turns a `Notice` into the words of its message, in both languages."""

    def __init__(self, env: Environment | None = None) -> None:
        self._env = env or make_environment()

    def render(self, notice: Notice) -> RenderedMessage:
        """The message of `notice`: its language first, the other one below."""
        subjects: list[str] = []
        text_parts: list[dict[str, Any]] = []
        html_parts: list[dict[str, Any]] = []
        for language in (notice.language, _OTHER[notice.language]):
            context = {
                **notice.facts,
                "application_id": notice.application_id,
                "audience": notice.audience,
                "language": language,
            }
            text = self._env.get_template(f"{language}/{notice.template}.txt")
            module = text.make_module(context)
            subjects.append(str(vars(module)["subject"]))  # each .txt sets `subject`
            text_parts.append({"language": language, "body": str(module).strip("\n")})
            html = self._env.get_template(f"{language}/{notice.template}.html")
            html_parts.append({"language": language, "body": html.make_module(context)})
        subject = SUBJECT_SEPARATOR.join(subjects)
        layout = {"subject": subject, "audience": notice.audience}
        return RenderedMessage(
            subject=subject,
            text=self._env.get_template("layout.txt").render(layout, parts=text_parts),
            html=self._env.get_template("layout.html").render(layout, parts=html_parts),
        )
