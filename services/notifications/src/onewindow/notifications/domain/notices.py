"""Who is told what: the notices an application event calls for.

| event                | applicant | employer contact (+ webhook) | supervisors |
|----------------------|-----------|------------------------------|-------------|
| ApplicationReceived  | yes       | yes                          |             |
| DocumentsRequested   | yes       |                              |             |
| ApplicationApproved  | yes       | yes                          |             |
| ApplicationRefused   | yes       | yes                          |             |
| ApplicationWithdrawn | yes       | yes                          |             |
| DeadlineEscalated    |           |                              | yes         |

The employer follows the case it is named in (DOMAIN.md "Actors"), so it hears of
its start and of how it ended; a supplement request is for the applicant, who holds
the documents. A missed deadline is an internal matter for the supervisors.

Every notice is written in the applicant's chosen language with the other one
below (the employer's copy too: the contact names one language for the case);
the supervisors' notice leads with Chinese. Any other event calls for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_core import to_jsonable_python

from onewindow.contracts.message import Message
from onewindow.contracts.reasons import APPEAL_ROUTE_EN, APPEAL_ROUTE_ZH, describe, document_names
from onewindow.contracts.v1.applications import (
    ApplicationApproved,
    ApplicationReceived,
    ApplicationRefused,
    ApplicationWithdrawn,
    Contact,
    DeadlineEscalated,
    DocumentsRequested,
    Status,
)
from onewindow.contracts.v1.common import Language, PermitGrant, Reason
from onewindow.notifications.domain.delivery import Channel

Template = Literal[
    "received", "documents_requested", "approved", "refused", "withdrawn", "deadline_escalated"
]
Audience = Literal["applicant", "employer", "supervisor"]
SUPERVISOR_LANGUAGE: Language = "zh"

STATUS_NAMES: Mapping[Status, tuple[str, str]] = {
    "submitted": ("submitted", "已提交"),
    "verifying_identity": ("having the identity verified", "身份核验中"),
    "assessing": ("being assessed", "审查中"),
    "awaiting_officer": ("waiting for an officer's review", "待人工审核"),
    "awaiting_documents": ("waiting for documents from the applicant", "待申请人补正材料"),
    "issuing": ("having its permits issued", "制证中"),
    "compensating": ("having its reservations cancelled", "撤销预留中"),
    "approved": ("approved", "已批准"),
    "refused": ("refused", "不予批准"),
    "withdrawn": ("withdrawn", "已撤回"),
}
CHANNEL_NAMES: Mapping[str, tuple[str, str]] = {
    "online": ("online", "网上申请"),
    "window": ("at a service window", "窗口申请"),
    "kiosk": ("at a self-service kiosk", "自助终端申请"),
}


@dataclass(frozen=True)
class Addressing:
    """Where notices go besides the event's own contact."""

    supervisor_email: str
    # The case's employer's webhook URL, if it registered one.
    employer_webhook: str | None = None


@dataclass(frozen=True)
class Notice:
    """One message to one recipient over one channel, with the facts it states."""

    template: Template
    application_id: str
    audience: Audience
    language: Language
    channel: Channel
    recipient: str
    facts: Mapping[str, Any] = field(default_factory=dict)


def legal_basis_text(reason: Reason) -> str | None:
    """The legal basis a reason names, as a notice cites it (`fwp-2017.1-shanghai §4.2`)."""
    basis = reason.legal_basis
    return None if basis is None else f"{basis.policy} {basis.article}"


def _reasons(reasons: tuple[Reason, ...]) -> list[dict[str, str | None]]:
    """Each reason in both languages, with the legal basis it names (None if it names none)."""
    found: list[dict[str, str | None]] = []
    for reason in reasons:
        en, zh = describe(reason)
        found.append(
            {"code": reason.code, "en": en, "zh": zh, "legal_basis": legal_basis_text(reason)}
        )
    return found


def _document(kind: str) -> dict[str, str]:
    en, zh = document_names((kind,))
    return {"kind": kind, "en": en, "zh": zh}


def _grant(grant: PermitGrant) -> dict[str, Any]:
    return {"number": grant.number, "valid_until": grant.valid_until}


@dataclass(frozen=True)
class Occasion:
    """An event worth telling: its template, its facts, and whom it concerns."""

    template: Template
    application_id: str
    facts: dict[str, Any]
    # The applicant's contact; None when the notice is for the supervisors.
    contact: Contact | None


def occasion_of(event: Message) -> Occasion | None:
    """What an event tells and to whom, or None if it is not told."""
    match event:
        case ApplicationReceived():
            facts: dict[str, Any] = {
                "submitted_at": event.submitted_at,
                "channel": event.channel,
                "channel_en": CHANNEL_NAMES.get(event.channel, (event.channel,) * 2)[0],
                "channel_zh": CHANNEL_NAMES.get(event.channel, (event.channel,) * 2)[1],
                "due_on": event.deadline.due_on,
            }
            return Occasion("received", event.application_id, facts, event.contact)
        case DocumentsRequested():
            facts = {
                "documents": [_document(kind) for kind in event.documents],
                "respond_by": event.respond_by,
                "reasons": _reasons(event.reasons),
            }
            return Occasion("documents_requested", event.application_id, facts, event.contact)
        case ApplicationApproved():
            facts = {
                "decided_at": event.decided_at,
                "work_permit": _grant(event.work_permit),
                "residence_permit": _grant(event.residence_permit),
            }
            return Occasion("approved", event.application_id, facts, event.contact)
        case ApplicationRefused():
            facts = {
                "decided_at": event.decided_at,
                "reasons": _reasons(event.reasons),
                "appeal": {
                    "deadline": event.appeal.deadline,
                    "route_en": APPEAL_ROUTE_EN,
                    "route_zh": APPEAL_ROUTE_ZH,
                },
            }
            return Occasion("refused", event.application_id, facts, event.contact)
        case ApplicationWithdrawn():
            facts = {"withdrawn_at": event.withdrawn_at}
            return Occasion("withdrawn", event.application_id, facts, event.contact)
        case DeadlineEscalated():
            facts = {
                "due_on": event.due_on,
                "escalated_at": event.escalated_at,
                "status": event.status,
                "status_en": STATUS_NAMES[event.status][0],
                "status_zh": STATUS_NAMES[event.status][1],
            }
            return Occasion("deadline_escalated", event.application_id, facts, None)
    return None


_EMPLOYER_TOLD: frozenset[Template] = frozenset({"received", "approved", "refused", "withdrawn"})


def _is_address(value: str | None) -> bool:
    return value is not None and "@" in value.strip().strip("@")


def plan(event: Message, addressing: Addressing) -> list[Notice]:
    """Every notice `event` calls for (see the table above); none for other events.

    A contact address without an `@` is not written to. An employer contact that is
    the applicant's own address gets one message (the applicant's: same delivery id).
    """
    occasion = occasion_of(event)
    if occasion is None:
        return []
    template, case_id, facts = occasion.template, occasion.application_id, occasion.facts
    contact = occasion.contact
    if contact is None:
        supervisors = addressing.supervisor_email.strip()
        if not _is_address(supervisors):
            return []
        return [
            Notice(
                template, case_id, "supervisor", SUPERVISOR_LANGUAGE, "email", supervisors, facts
            )
        ]
    language = contact.language
    notices: list[Notice] = []
    if _is_address(contact.email):
        notices.append(
            Notice(template, case_id, "applicant", language, "email", contact.email.strip(), facts)
        )
    if template not in _EMPLOYER_TOLD:
        return notices
    if contact.employer_email is not None and _is_address(contact.employer_email):
        employer = contact.employer_email.strip()
        notices.append(Notice(template, case_id, "employer", language, "email", employer, facts))
    if addressing.employer_webhook:
        hook = addressing.employer_webhook
        notices.append(Notice(template, case_id, "employer", language, "webhook", hook, facts))
    return notices


def webhook_body(notice: Notice, *, delivery_id: str, event_id: str) -> dict[str, Any]:
    """The JSON body an employer's webhook receives for `notice` (dates as ISO strings).

    `id` is the delivery's id: the same on a repeat, so the receiver can drop it.
    """
    return {
        "id": delivery_id,
        "notice": notice.template,
        "application_id": notice.application_id,
        "event_id": event_id,
        "facts": to_jsonable_python(dict(notice.facts)),
    }
