"""Use cases of the applications service: load the saga, decide, append — idempotently;
and what the rest of the city hears of each step.

Every message is handled in the stream of its case (or extension), with the message's
id recorded in the same commit, so a redelivery changes nothing; the commands a step
sends get ids derived from the message that caused them, so a replay re-sends the
same commands and the receivers ignore the repeats.

This is the one place where the saga's stored events (its own types, `domain/events.py`)
become integration events on the bus (`contracts.v1.applications`): `integration_events`
for a case's step, `_extension_decided` for an extension's close. They go out in the
step's own commit, with the commands it sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from onewindow.applications.adapters.case_index import CaseIndex
from onewindow.applications.domain import events as ev
from onewindow.applications.domain.case import Case, Step
from onewindow.applications.domain.extension import (
    EXTENSION_EVENTS,
    Extension,
    ExtensionClosed,
    ExtensionRequested,
    ExtensionStep,
)
from onewindow.applications.domain.policy import ProcedurePolicy, legal_basis, policy_on
from onewindow.applications.domain.side import Side, SideStatus
from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.message import Command, Message
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit as rp
from onewindow.contracts.v1 import work_permit as wp
from onewindow.contracts.v1.common import PermitGrant, PermitSide, Reason
from onewindow.runtime.calendar import WorkingCalendar
from onewindow.runtime.clock import Clock, local_date, local_today
from onewindow.runtime.eventstore import EventStore, Outgoing, Stream, outgoing
from onewindow.runtime.handling import Decision, handle

log = logging.getLogger(__name__)
SOURCE = "onewindow/applications"


def case_stream(application_id: str) -> str:
    return f"case-{application_id}"


def extension_stream(extension_id: str) -> str:
    return f"extension-{extension_id}"


def load_case(stream: Stream) -> Case:
    return Case.replay(
        [ev.CASE_EVENTS.revive(e.type, e.data) for e in stream.events],
        [e.recorded_at for e in stream.events],
    )


def load_extension(stream: Stream) -> Extension:
    return Extension.replay(
        [EXTENSION_EVENTS.revive(e.type, e.data) for e in stream.events],
        [e.recorded_at for e in stream.events],
    )


@dataclass(eq=False)
class Saga:
    """The saga's handlers, wired with the store, the case index, the clock and calendar."""

    store: EventStore
    index: CaseIndex
    clock: Clock
    calendar: WorkingCalendar

    # --- plumbing -------------------------------------------------------------------

    def _outbox(
        self, key: str, cause: Envelope, sends: list[tuple[Message, str]]
    ) -> list[Outgoing]:
        found = []
        for message, discriminator in sends:
            sent = outgoing(
                message,
                key=key,
                correlation_id=cause.correlation_id,
                source=SOURCE,
                cause=cause,
                discriminator=discriminator,
            )
            if isinstance(message, Command):
                # A command's id names the case and what it asks, not what caused it, so
                # the timer's resend carries the first id and the receiver ignores it if
                # it already answered.
                command_id = deterministic_id(f"saga:{key}", discriminator)
                sent = replace(sent, envelope=replace(sent.envelope, id=command_id))
            found.append(sent)
        return found

    async def on_case(
        self,
        application_id: str,
        envelope: Envelope,
        act: Callable[[Case], Step],
        *,
        opens: bool = False,
    ) -> None:
        def decide(case: Case) -> Decision:
            case.now = self.clock.now()
            step = act(case)
            now = self.clock.now()
            sends = list(step.send)
            if case.form is not None:
                sends += integration_events(
                    case, step.events, at=now, policy=policy_on(local_today(self.clock))
                )
            # The commit carries the moment the case's clocks were set at, so the case
            # replayed from it has the same timers as this one (and the index no write).
            return Decision(
                events=step.events,
                outbox=self._outbox(application_id, envelope, sends),
                at=case.now,
            )

        handled = await handle(
            self.store, case_stream(application_id), envelope.id, load_case, decide, opens=opens
        )
        # Also after a redelivery: the commit stands, but the process may have died before
        # the index write that follows it, so the index is brought up to the stream (a
        # no-op when it is current: the entry's version says so).
        await self.index.index_case(handled.state, handled.version)

    def _today(self) -> date:
        return local_today(self.clock)

    # --- dispatch ---------------------------------------------------------------------

    async def on_message(self, message: Message, envelope: Envelope) -> None:
        """Route one message of any subscribed topic to its use case."""
        now, today = self.clock.now(), self._today()
        if isinstance(message, app.RequestExtension):
            await self._start_extension(message, envelope)
        elif (for_case := self._case_decision(message, now, today)) is not None:
            # The submission opens the case's stream: nothing to read first (`handle`).
            opens = isinstance(message, app.SubmitApplication)
            await self.on_case(for_case[0], envelope, for_case[1], opens=opens)
        elif (for_extension := _extension_decision(message, now)) is not None:
            await self._on_extension(for_extension[0], envelope, for_extension[1])
        # Other events on the topics this service reads are not its business.

    def _case_decision(
        self, message: Message, now: datetime, today: date
    ) -> tuple[str, Callable[[Case], Step]] | None:
        """The case `message` is for and what it asks of it; None if it is for no case."""
        policy = policy_on(today)
        days = policy.supplement_response_working_days
        match message:
            case app.SubmitApplication():
                due = self.calendar.add_working_days(today, policy.decision_due_working_days)
                return message.application_id, lambda c: c.open(message, due_on=due)
            case app.SupplyDocuments():
                return message.application_id, lambda c: c.documents_supplied(
                    message.documents,
                    today=today,
                    calendar=self.calendar,
                    registration_number=message.registration_number,
                )
            case app.WithdrawApplication():
                return message.application_id, lambda c: c.withdraw(at=now)
            case app.RecordReview():
                return message.application_id, lambda c: c.officer_decided(
                    message.permit,
                    message.decision,
                    message.officer.sub,
                    message.reason,
                    message.documents,
                    today=today,
                    calendar=self.calendar,
                    respond_days=days,
                )
            case idm.IdentityVerified():
                return message.application_id, lambda c: c.identity_verified(message)
            case idm.IdentityRejected():
                return message.application_id, lambda c: c.identity_rejected(message, at=now)
            case wp.WorkPermitReserved():
                return message.application_id, lambda c: c.side_reserved(
                    "work",
                    message.permit_number,
                    message.valid_until,
                    classification=message.classification,
                    at=now,
                )
            case rp.ResidencePermitReserved():
                return message.application_id, lambda c: c.side_reserved(
                    "residence", message.permit_number, None, classification=None, at=now
                )
            case wp.WorkPermitRefused() | rp.ResidencePermitRefused():
                classification = getattr(message, "classification", None)
                return message.application_id, lambda c: c.side_refused(
                    side_of(message), message.reasons, classification=classification, at=now
                )
            case wp.WorkPermitReviewRequired() | rp.ResidencePermitReviewRequired():
                classification = getattr(message, "classification", None)
                return message.application_id, lambda c: c.side_needs_review(
                    side_of(message),
                    message.reasons,
                    message.missing_documents,
                    classification=classification,
                    today=today,
                    calendar=self.calendar,
                    respond_days=days,
                )
            case wp.WorkPermitIssued() | rp.ResidencePermitIssued():
                return message.application_id, lambda c: c.side_issued(
                    side_of(message), message.permit_number, message.valid_until, at=now
                )
            case wp.WorkPermitReservationCancelled() | rp.ResidencePermitReservationCancelled():
                return message.application_id, lambda c: c.side_cancelled(
                    side_of(message), message.permit_number, at=now
                )
            case wp.WorkPermitIssueRejected() | rp.ResidencePermitIssueRejected():
                log.warning(
                    "a permit could not be issued",
                    extra={
                        "application_id": message.application_id,
                        "side": side_of(message),
                        "state": message.state,
                    },
                )
                return message.application_id, lambda c: c.issue_failed(
                    side_of(message), message.state, at=now
                )
            case wp.WorkPermitReservationExpired() | rp.ResidencePermitReservationExpired():
                return message.application_id, lambda c: c.side_lapsed(
                    side_of(message), message.permit_number, at=now
                )
            case wp.WorkPermitRevoked() | rp.ResidencePermitRevoked():
                return message.application_id, lambda c: c.side_revoked(
                    side_of(message), message.permit_number, message.reason, at=now
                )
        return None

    # --- extensions -------------------------------------------------------------------

    async def _start_extension(self, message: app.RequestExtension, envelope: Envelope) -> None:
        application_id = await self.index.case_of_permit(message.work_permit_number)
        requested = ExtensionRequested(
            extension_id=message.extension_id,
            application_id=application_id,
            work_permit_number=message.work_permit_number,
            contract_end=message.contract_end,
            requested_by=message.requested_by,
            requested_at=message.requested_at,
        )
        await self._on_extension(message.extension_id, envelope, lambda x: x.start(requested))

    async def on_extension_timer(self, extension_id: str, cause: Envelope, now: datetime) -> None:
        """The extension's timer fired (`Extension.timer_fired` acts only if it is due)."""
        await self._on_extension(extension_id, cause, lambda x: x.timer_fired(now=now))

    async def _on_extension(
        self, extension_id: str, envelope: Envelope, act: Callable[[Extension], ExtensionStep]
    ) -> None:
        def decide(extension: Extension) -> Decision:
            extension.now = self.clock.now()
            step = act(extension)
            sends = list(step.send)
            closed = any(isinstance(e, ExtensionClosed) for e in step.events)
            if closed and extension.request is not None:
                sends.append((_extension_decided(extension), "decided"))
            return Decision(events=step.events, outbox=self._outbox(extension_id, envelope, sends))

        stream = extension_stream(extension_id)
        handled = await handle(self.store, stream, envelope.id, load_extension, decide)
        await self.index.index_extension(extension_id, handled.state)


def side_of(message: Message) -> PermitSide:
    """Which side a permit service's message speaks of."""
    return "work" if isinstance(message, wp.WorkPermitEvent) else "residence"


def _extension_decision(
    message: Message, now: datetime
) -> tuple[str, Callable[[Extension], ExtensionStep]] | None:
    """The extension `message` is for and what it asks of it; None if it is for none."""
    match message:
        case wp.WorkPermitExtended():
            return message.extension_id, lambda x: x.work_extended(
                message.permit_number, message.valid_until
            )
        case rp.ResidencePermitExtended():
            return message.extension_id, lambda x: x.residence_extended(
                message.permit_number, message.valid_until, at=now
            )
        case wp.WorkPermitExtensionReverted():
            return message.extension_id, lambda x: x.work_reverted(message.valid_until, at=now)
        case wp.WorkPermitExtensionRefused() | rp.ResidencePermitExtensionRefused():
            return message.extension_id, lambda x: x.refused(message.reasons, at=now)
    return None


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
                out.append((documents_requested(case, event), "documents-requested"))
            case ev.SideAssessed(outcome="review") if case.status == "awaiting_officer":
                review = app.OfficerReviewRequested(
                    application_id=case.application_id, permit=event.side, reasons=event.reasons
                )
                out.append((review, f"review-{event.side}"))
            case ev.CaseDecided():
                out.append((_decision(case, event, policy), "decision"))
            case ev.DocumentsReminded() if case.awaiting is not None:
                out.append((documents_requested(case, case.awaiting), "documents-reminder"))
            case ev.CaseHeld():
                reason = Reason(
                    code="unverified_applicant",
                    side="case",
                    legal_basis=legal_basis("unverified_applicant"),
                )
                review = app.OfficerReviewRequested(
                    application_id=case.application_id, permit="work", reasons=(reason,)
                )
                out.append((review, "review-held"))
            case ev.TimerEscalated() | ev.DeadlineMissed():
                # A timer escalates on the day it fires; the statutory clock for the due date.
                due_on = (
                    local_date(event.at) if isinstance(event, ev.TimerEscalated) else event.due_on
                )
                escalated = app.DeadlineEscalated(
                    application_id=case.application_id,
                    due_on=due_on,
                    escalated_at=event.at,
                    status=case.status,
                )
                out.append((escalated, "escalated"))
    quiet = ev.LateReplyIgnored | ev.DeadlineMissed | ev.CommandsResent | ev.TimerEscalated
    if any(not isinstance(e, quiet | ev.DocumentsReminded) for e in stored):
        out.append((status_changed(case, at, stored), "status"))
    return out


def documents_requested(case: Case, awaited: ev.DocumentsAwaited) -> app.DocumentsRequested:
    """The applicant asked for documents (first asked, or reminded)."""
    return app.DocumentsRequested(
        application_id=case.application_id,
        documents=awaited.documents,
        requested_by=awaited.requested_by,
        respond_by=awaited.respond_by,
        reasons=awaited.reasons,
        contact=contact(case),
    )


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


def _grant(side: Side) -> PermitGrant:
    assert side.number is not None
    assert side.valid_until is not None
    return PermitGrant(number=side.number, valid_until=side.valid_until)


def appeal_deadline(decided_at: datetime, policy: ProcedurePolicy) -> date:
    # Counted from the Shanghai date of the decision (DOMAIN.md: dates are Shanghai dates).
    return local_date(decided_at) + timedelta(days=policy.appeal_days)


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


def contact(case: Case) -> app.Contact:
    assert case.form is not None
    return app.Contact(
        email=case.form.applicant.email,
        language=case.form.language,
        employer_email=case.form.employer.contact_email,
    )


def deadline(case: Case) -> app.Deadline:
    return app.Deadline(due_on=case.due_on, clock=case.clock, stopped_days=case.stopped_days)


def _extension_decided(extension: Extension) -> app.ExtensionDecided:
    assert extension.request is not None
    assert extension.closed is not None
    return app.ExtensionDecided(
        extension_id=extension.request.extension_id,
        application_id=extension.request.application_id,
        outcome=extension.closed.outcome,
        decided_at=extension.closed.at,
        work_permit=extension.work,
        residence_permit=extension.residence,
        reasons=extension.closed.reasons,
    )
