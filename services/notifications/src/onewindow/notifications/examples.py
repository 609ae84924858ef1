"""Example events of one case, each of a kind the service tells somebody about.

Translators and reviewers read the messages they produce with

    python -m onewindow.notifications.examples [en|zh]

and the golden-file and service tests are written against them. The people and
companies are invented; addresses use the reserved `example.org`/`example.com`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime

from onewindow.contracts.message import Message
from onewindow.contracts.v1.applications import (
    Actor,
    Appeal,
    ApplicationApproved,
    ApplicationReceived,
    ApplicationRefused,
    ApplicationStatusChanged,
    ApplicationWithdrawn,
    Contact,
    Deadline,
    DeadlineEscalated,
    DocumentsRequested,
)
from onewindow.contracts.v1.common import Language, LegalBasis, PermitGrant, Reason

CASE_ID = "OW-2027-000123"
APPLICANT = "anna.dejong@example.org"
EMPLOYER = "hr@example.com"
USCC = "91310104MA1FL5KX1N"
AT = datetime(2027, 1, 4, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai


def contact(
    language: Language = "en", *, email: str = APPLICANT, employer: str | None = EMPLOYER
) -> Contact:
    return Contact(email=email, language=language, employer_email=employer)


def received(case_id: str = CASE_ID, who: Contact | None = None) -> ApplicationReceived:
    return ApplicationReceived(
        application_id=case_id,
        submitted_at=AT,
        channel="online",
        submitted_by=Actor(sub="anna", role="applicant"),
        employer_uscc=USCC,
        contact=who or contact(),
        deadline=Deadline(due_on=date(2027, 1, 13), clock="running"),
    )


def documents_requested(case_id: str = CASE_ID, who: Contact | None = None) -> DocumentsRequested:
    return DocumentsRequested(
        application_id=case_id,
        documents=("health", "criminal_record"),
        requested_by="officer",
        respond_by=date(2027, 1, 25),
        reasons=(
            Reason(code="health_certificate_too_old", side="residence",
                   params={"issued_on": "2026-03-02", "maximum_months": "6"}),
            Reason(code="document_missing", side="work", params={"documents": "criminal_record"}),
        ),
        contact=who or contact(),
    )  # fmt: skip


def approved(case_id: str = CASE_ID, who: Contact | None = None) -> ApplicationApproved:
    return ApplicationApproved(
        application_id=case_id,
        decided_at=datetime(2027, 1, 11, 7, 15, tzinfo=UTC),
        decided_by="system",
        work_permit=PermitGrant(number="WP310104202700042", valid_until=date(2030, 1, 3)),
        residence_permit=PermitGrant(number="RP310104202700042", valid_until=date(2030, 1, 3)),
        contact=who or contact(),
    )


def refused(case_id: str = CASE_ID, who: Contact | None = None) -> ApplicationRefused:
    return ApplicationRefused(
        application_id=case_id,
        decided_at=datetime(2027, 1, 11, 7, 15, tzinfo=UTC),
        decided_by="officer-17",
        reasons=(
            Reason(code="refused_by_officer", side="work",
                   detail="The contract's salary is below the stated <annual> figure & unproven.",
                   legal_basis=LegalBasis(policy="fwp-2017.1-shanghai", article="§5.3")),
            Reason(code="counterpart_refused", side="residence",
                   legal_basis=LegalBasis(policy="one-window-2026.1-shanghai", article="§9.1")),
        ),
        appeal=Appeal(route="administrative_reconsideration", deadline=date(2027, 3, 12)),
        contact=who or contact(),
    )  # fmt: skip


def withdrawn(case_id: str = CASE_ID, who: Contact | None = None) -> ApplicationWithdrawn:
    return ApplicationWithdrawn(
        application_id=case_id,
        withdrawn_at=datetime(2027, 1, 6, 1, 5, tzinfo=UTC),
        contact=who or contact(),
    )


def deadline_escalated(case_id: str = CASE_ID, who: Contact | None = None) -> DeadlineEscalated:
    return DeadlineEscalated(
        application_id=case_id,
        due_on=date(2027, 1, 13),
        escalated_at=datetime(2027, 1, 13, 16, 0, tzinfo=UTC),
        status="awaiting_officer",
    )


def status_changed(case_id: str = CASE_ID, who: Contact | None = None) -> ApplicationStatusChanged:
    """An event nobody is written to about (the gateway shows it)."""
    return ApplicationStatusChanged(
        application_id=case_id, status="assessing", at=AT, summary="Assessment started."
    )


TOLD: dict[str, Callable[[str, Contact | None], Message]] = {
    "received": received,
    "documents_requested": documents_requested,
    "approved": approved,
    "refused": refused,
    "withdrawn": withdrawn,
    "deadline_escalated": deadline_escalated,
}


def main(argv: list[str]) -> None:
    """Print every example message as the applicant (or supervisor) would get it."""
    from onewindow.notifications.adapters.templates import Renderer
    from onewindow.notifications.domain.notices import Addressing, plan

    language: Language = "zh" if argv[1:2] == ["zh"] else "en"
    renderer = Renderer()
    for make in TOLD.values():
        notice = plan(make(CASE_ID, contact(language)), Addressing("supervisors@example.org"))[0]
        message = renderer.render(notice)
        print(f"To: {notice.recipient}\nSubject: {message.subject}\n\n{message.text}\n{'=' * 72}")


if __name__ == "__main__":
    main(sys.argv)
