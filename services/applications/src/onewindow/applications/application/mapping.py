"""The one place where the saga's stored events become integration events on the bus."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from onewindow.applications.domain import events as ev
from onewindow.applications.domain.case import Case
from onewindow.applications.domain.policy import ProcedurePolicy, legal_basis
from onewindow.applications.domain.side import Side, SideStatus
from onewindow.contracts.message import Message
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1.common import PermitGrant, Reason
from onewindow.runtime.clock import local_date

SUMMARIES: dict[str, str] = {
    "submitted": "Application received",
    "verifying_identity": "Verifying identity and registry documents",
    "assessing": "Work and residence permits being assessed",
    "awaiting_officer": "Waiting for an officer's review",
    "awaiting_documents": "Waiting for documents from the applicant",
    "issuing": "Both permits pre-approved; issuing",
    "compensating": "Cancelling reservations before the decision",
    "approved": "Approved: both permits issued",
    "refused": "Refused",
    "withdrawn": "Withdrawn by the applicant",
}


def contact(case: Case) -> app.Contact:
    assert case.form is not None
    return app.Contact(
        email=case.form.applicant.email,
        language=case.form.language,
        employer_email=case.form.employer.contact_email,
    )


def deadline(case: Case) -> app.Deadline:
    return app.Deadline(due_on=case.due_on, clock=case.clock, stopped_days=case.stopped_days)


# Each side status as the API names it (API.md: pending, reserved, issued, refused,
# cancelled, revoked): a side in review is still pending; a lapsed one is renewed.
SHOWN: dict[SideStatus, app.PermitStatus] = {
    "pending": "pending",
    "review": "pending",
    "reserved": "reserved",
    "lapsed": "reserved",
    "issued": "issued",
    "refused": "refused",
    "cancelled": "cancelled",
    "revoked": "revoked",
}


def permit_view(side: Side) -> app.PermitView:
    status = SHOWN[side.status]
    return app.PermitView(
        status=status,
        number=side.number if side.status != "pending" else None,
        valid_until=side.valid_until,
        reasons=side.reasons,
        under_review=side.status == "review" and not side.assessing,
    )


PERMIT = {"work": "Work permit", "residence": "Residence permit"}


def step_summary(case: Case, stored: Sequence[BaseModel]) -> str:
    """What this step did, in one line for the timeline (the status's words otherwise)."""
    said: list[str] = []
    for event in stored:
        match event:
            case ev.IdentityResolved():
                flagged = " (flagged for an officer)" if event.flags else ""
                said.append(
                    f"Identity verified, {len(event.documents)} registry documents "
                    f"resolved{flagged}"
                )
            case ev.IdentityRefused():
                said.append("Identity check failed: " + ", ".join(r.code for r in event.reasons))
            case ev.SideAssessed(outcome="reserved"):
                said.append(f"{PERMIT[event.side]} pre-approved: number {event.number} reserved")
            case ev.SideAssessed(outcome="refused"):
                codes = ", ".join(r.code for r in event.reasons)
                said.append(f"{PERMIT[event.side]} refused: {codes}")
            case ev.SideAssessed(outcome="review"):
                codes = ", ".join(r.code for r in event.reasons)
                said.append(f"{PERMIT[event.side]} needs review: {codes}")
            case ev.SideIssued():
                said.append(
                    f"{PERMIT[event.side]} {event.number} issued, valid until {event.valid_until}"
                )
            case ev.CancellationRequested():
                said.append(f"{PERMIT[event.side]} reservation being cancelled ({event.reason})")
            case ev.SideCancelled():
                said.append(f"{PERMIT[event.side]} reservation cancelled")
            case ev.SideRevoked():
                said.append(f"{PERMIT[event.side]} {event.number} revoked ({event.reason})")
            case ev.SideLapsed():
                said.append(f"{PERMIT[event.side]} reservation {event.number} lapsed")
            case ev.RenewalRequested():
                said.append(f"{PERMIT[event.side]} reservation being renewed")
            case ev.IssueFailed():
                said.append(f"{PERMIT[event.side]} could not be issued ({event.state})")
            case ev.CaseHeld():
                said.append("Held for an officer: " + ", ".join(event.flags))
            case ev.HoldCleared():
                said.append(f"Officer {event.officer}: {event.decision} for the held case")
            case ev.SupplementLapsed():
                said.append(f"No answer to the request for documents by {event.respond_by}")
            case ev.OfficerDecisionRecorded():
                decision = event.decision.replace("_", " ")
                said.append(f"Officer {event.officer}: {decision} for the {event.side} permit")
            case ev.DocumentsReceived():
                said.append(
                    f"Documents received; the clock restarts after {event.stopped_days} "
                    f"working days stopped; now due on {event.new_due_on}"
                )
    return "; ".join(said) or SUMMARIES[case.status]


def status_changed(
    case: Case, at: datetime, stored: Sequence[BaseModel] = ()
) -> app.ApplicationStatusChanged:
    return app.ApplicationStatusChanged(
        application_id=case.application_id,
        status=case.status,
        at=at,
        summary=step_summary(case, stored),
        classification=case.classification,
        work_permit=permit_view(case.work),
        residence_permit=permit_view(case.residence),
        deadline=deadline(case),
        flags=tuple(case.flags),
    )


def _grant(side: Side) -> PermitGrant:
    assert side.number is not None
    assert side.valid_until is not None
    return PermitGrant(number=side.number, valid_until=side.valid_until)


def integration_events(
    case: Case, stored: Sequence[BaseModel], *, at: datetime, policy: ProcedurePolicy
) -> list[tuple[Message, str]]:
    """What the rest of the city hears of a step: specific events, then the new view."""
    out: list[tuple[Message, str]] = []
    for event in stored:
        match event:
            case ev.CaseOpened():
                assert case.submitted_by is not None
                assert case.form is not None
                out.append(
                    (
                        app.ApplicationReceived(
                            application_id=case.application_id,
                            submitted_at=event.submitted_at,
                            channel=case.form.channel,
                            submitted_by=case.submitted_by,
                            employer_uscc=case.form.employer.uscc,
                            contact=contact(case),
                            deadline=deadline(case),
                        ),
                        "received",
                    )
                )
            case ev.DocumentsAwaited():
                out.append(
                    (
                        app.DocumentsRequested(
                            application_id=case.application_id,
                            documents=event.documents,
                            requested_by=event.requested_by,
                            respond_by=event.respond_by,
                            reasons=event.reasons,
                            contact=contact(case),
                        ),
                        "documents-requested",
                    )
                )
            case ev.SideAssessed(outcome="review") if case.status == "awaiting_officer":
                out.append(
                    (
                        app.OfficerReviewRequested(
                            application_id=case.application_id,
                            permit=event.side,
                            reasons=event.reasons,
                        ),
                        f"review-{event.side}",
                    )
                )
            case ev.CaseDecided():
                out.append((_decision(case, event, policy), "decision"))
            case ev.DocumentsReminded() if case.awaiting is not None:
                out.append(
                    (
                        app.DocumentsRequested(
                            application_id=case.application_id,
                            documents=case.awaiting.documents,
                            requested_by=case.awaiting.requested_by,
                            respond_by=case.awaiting.respond_by,
                            reasons=case.awaiting.reasons,
                            contact=contact(case),
                        ),
                        "documents-reminder",
                    )
                )
            case ev.CaseHeld():
                reason = Reason(
                    code="unverified_applicant",
                    side="case",
                    legal_basis=legal_basis("unverified_applicant"),
                )
                out.append(
                    (
                        app.OfficerReviewRequested(
                            application_id=case.application_id,
                            permit="work",
                            reasons=(reason,),
                        ),
                        "review-held",
                    )
                )
            case ev.TimerEscalated():
                out.append(
                    (
                        app.DeadlineEscalated(
                            application_id=case.application_id,
                            due_on=local_date(event.at),
                            escalated_at=event.at,
                            status=case.status,
                        ),
                        "escalated",
                    )
                )
            case ev.DeadlineMissed():
                out.append(
                    (
                        app.DeadlineEscalated(
                            application_id=case.application_id,
                            due_on=event.due_on,
                            escalated_at=event.at,
                            status=case.status,
                        ),
                        "escalated",
                    )
                )
    quiet = ev.LateReplyIgnored | ev.DeadlineMissed | ev.CommandsResent | ev.TimerEscalated
    if any(not isinstance(e, quiet | ev.DocumentsReminded) for e in stored):
        out.append((status_changed(case, at, stored), "status"))
    return out


def appeal_deadline(decided_at: datetime, policy: ProcedurePolicy) -> date:
    # Counted from the Shanghai date of the decision (DOMAIN.md: dates are Shanghai dates).
    return local_date(decided_at) + timedelta(days=policy.appeal_days)


def _decision(case: Case, decided: ev.CaseDecided, policy: ProcedurePolicy) -> Message:
    if decided.outcome == "approved":
        return app.ApplicationApproved(
            application_id=case.application_id,
            decided_at=decided.at,
            decided_by=decided.decided_by,
            work_permit=_grant(case.work),
            residence_permit=_grant(case.residence),
            classification=case.classification,
            contact=contact(case),
            legal_basis=legal_basis("approved"),
        )
    if decided.outcome == "refused":
        return app.ApplicationRefused(
            application_id=case.application_id,
            decided_at=decided.at,
            decided_by=decided.decided_by,
            reasons=decided.reasons,
            appeal=app.Appeal(
                route=policy.appeal_route_en, deadline=appeal_deadline(decided.at, policy)
            ),
            contact=contact(case),
            legal_basis=legal_basis("refused"),
        )
    return app.ApplicationWithdrawn(
        application_id=case.application_id,
        withdrawn_at=decided.at,
        contact=contact(case),
        legal_basis=legal_basis("withdrawn"),
    )
