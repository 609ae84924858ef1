"""The combined application as an event-sourced saga: one joint decision, all or nothing.

`Case` is rebuilt from its stored events (`apply`); each use-case method decides and
returns a `Step`: the new stored events and the commands to send. Nothing here does
I/O; time and the working-day calendar are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from onewindow.applications.domain import events as ev
from onewindow.applications.domain.side import Side
from onewindow.contracts.message import Message
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit, work_permit
from onewindow.contracts.v1.applications import Actor, Status, SubmitApplication
from onewindow.contracts.v1.common import (
    ApplicationForm,
    Classification,
    DocumentRef,
    Employer,
    PermitSide,
    Reason,
    ReasonCode,
    ResolvedDocument,
)

SIDES: tuple[PermitSide, ...] = ("work", "residence")
SYSTEM = "system:onewindow-saga"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Calendar(Protocol):
    def add_working_days(self, start: date, n: int) -> date: ...
    def working_days_between(self, start: date, end: date) -> int: ...


@dataclass
class Step:
    """What one decision produced: stored events, and commands with their discriminator."""

    events: list[BaseModel] = field(default_factory=list)
    send: list[tuple[Message, str]] = field(default_factory=list)


@dataclass
class Case:
    application_id: str = ""
    form: ApplicationForm | None = None
    submitted_by: Actor | None = None
    submitted_at: datetime | None = None
    due_on: date | None = None
    person_ref: str = ""
    employer: Employer | None = None
    documents: tuple[ResolvedDocument, ...] = ()
    flags: tuple[str, ...] = ()
    identity: Literal["pending", "verified", "refused"] = "pending"
    identity_reasons: tuple[Reason, ...] = ()
    verification_round: int = 0
    assessment_round: int = 0
    work: Side = field(default_factory=Side)
    residence: Side = field(default_factory=Side)
    issuing: bool = False
    compensating: Literal["refused", "withdrawn"] | None = None
    awaiting: ev.DocumentsAwaited | None = None
    stopped_days: int = 0
    officers: list[str] = field(default_factory=list)
    decided: ev.CaseDecided | None = None
    escalated_for: date | None = None

    # --- rebuilding -------------------------------------------------------------

    @classmethod
    def replay(cls, history: list[ev.CaseEvent]) -> Case:
        case = cls()
        for event in history:
            case.apply(event)
        return case

    def side(self, name: PermitSide) -> Side:
        return self.work if name == "work" else self.residence

    def apply(self, event: ev.CaseEvent) -> None:
        match event:
            case ev.CaseOpened():
                self.application_id = event.application_id
                self.form, self.submitted_by = event.form, event.submitted_by
                self.submitted_at, self.due_on = event.submitted_at, event.due_on
                self.verification_round = 1
            case ev.IdentityResolved():
                self.identity = "verified"
                self.person_ref, self.employer = event.person_ref, event.employer
                self.documents, self.flags = event.documents, event.flags
            case ev.IdentityRefused():
                self.identity, self.identity_reasons = "refused", event.reasons
                self.person_ref = event.person_ref or self.person_ref
            case ev.AssessmentRequested():
                self.assessment_round = event.round
                for name in event.sides:
                    self.side(name).request_assessment()
            case ev.SideAssessed():
                self.side(event.side).assessed(event)
            case ev.IssueStarted():
                self.issuing = True
            case ev.SideIssued():
                self.side(event.side).issued(event.number, event.valid_until)
            case ev.CompensationStarted():
                self.compensating = event.cause
            case ev.CancellationRequested():
                self.side(event.side).cancel_requested = True
            case ev.SideCancelled():
                self.side(event.side).cancelled(event.number)
            case ev.OfficerDecisionRecorded():
                self.officers.append(event.officer)
                if event.decision != "request_documents":
                    # The permit service answers with a reservation or a refusal.
                    self.side(event.side).assessing = True
            case ev.DocumentsAwaited():
                self.awaiting = event
            case ev.DocumentsReceived():
                self.awaiting = None
                self.due_on, self.stopped_days = (
                    event.new_due_on,
                    self.stopped_days + event.stopped_days,
                )
                if self.form is not None:
                    self.form = _with_documents(self.form, event.documents)
                self.verification_round += 1
                self.identity = "pending"
            case ev.CaseDecided():
                self.decided = event
            case ev.DeadlineMissed():
                self.escalated_for = event.due_on
            case ev.LateReplyIgnored():
                pass

    # --- derived views ------------------------------------------------------------

    @property
    def status(self) -> Status:
        if self.decided is not None:
            return self.decided.outcome
        if self.form is None:
            return "submitted"
        if self.compensating is not None:
            return "compensating"
        if self.issuing:
            return "issuing"
        if self.awaiting is not None:
            return "awaiting_documents"
        if self.identity == "pending":
            return "verifying_identity"
        if any(self.side(s).status == "review" and not self.side(s).assessing for s in SIDES):
            return "awaiting_officer"
        return "assessing"

    @property
    def is_open(self) -> bool:
        return self.form is not None and self.decided is None

    @property
    def classification(self) -> Classification | None:
        return self.work.classification

    @property
    def clock(self) -> Literal["running", "stopped", "not_started", "finished"]:
        if self.form is None:
            return "not_started"
        if self.decided is not None:
            return "finished"
        return "stopped" if self.awaiting is not None else "running"

    @property
    def application_date(self) -> date:
        """The day the case was submitted, in Shanghai (where the deadline is counted)."""
        assert self.submitted_at is not None
        return self.submitted_at.astimezone(SHANGHAI).date()

    def decided_by(self) -> str:
        return f"officer:{self.officers[-1]}" if self.officers else SYSTEM

    # --- use cases ----------------------------------------------------------------

    def open(self, command: SubmitApplication, *, due_on: date) -> Step:
        if self.form is not None:
            return Step()
        opened = ev.CaseOpened(
            application_id=command.application_id,
            form=command.form,
            submitted_by=command.submitted_by,
            submitted_at=command.submitted_at,
            due_on=due_on,
        )
        self.apply(opened)
        return Step([opened], [(self._verify_identity(), "verify-1")])

    def _verify_identity(self) -> idm.VerifyIdentity:
        assert self.form is not None
        assert self.submitted_at is not None
        applicant = self.form.applicant
        return idm.VerifyIdentity(
            application_id=self.application_id,
            nationality=applicant.nationality,
            passport_number=applicant.passport.number,
            passport_expires_on=applicant.passport.expires_on,
            date_of_birth=applicant.date_of_birth,
            employer_uscc=self.form.employer.uscc,
            documents=self.form.documents,
            application_date=self.application_date,
        )

    def identity_verified(self, answer: idm.IdentityVerified) -> Step:
        if not self.is_open or self.compensating or self.identity != "pending":
            return self._ignore("identity verified after it could matter")
        resolved = ev.IdentityResolved(
            person_ref=answer.person_ref,
            employer=answer.employer,
            documents=answer.documents,
            flags=answer.flags,
        )
        self.apply(resolved)
        sides = tuple(s for s in SIDES if self.side(s).status in ("pending", "review"))
        requested = ev.AssessmentRequested(sides=sides, round=self.assessment_round + 1)
        self.apply(requested)
        step = Step([resolved, requested])
        for name in sides:
            step.send.append((self._assess(name), f"assess-{name}-{requested.round}"))
        return step

    def _assess(self, name: PermitSide) -> Message:
        assert self.form is not None
        assert self.employer is not None
        assert self.submitted_at is not None
        applicant = self.form.applicant
        if name == "work":
            return work_permit.AssessWorkPermit(
                application_id=self.application_id,
                person_ref=self.person_ref,
                date_of_birth=applicant.date_of_birth,
                passport_expires_on=applicant.passport.expires_on,
                employer=self.employer,
                position=self.form.position,
                qualifications=self.form.qualifications,
                documents=self.documents,
                commitments=self.form.commitments,
                flags=self.flags,
                application_date=self.application_date,
            )
        return residence_permit.AssessResidencePermit(
            application_id=self.application_id,
            person_ref=self.person_ref,
            date_of_birth=applicant.date_of_birth,
            passport_expires_on=applicant.passport.expires_on,
            registration_number=self.form.residence.registration_number,
            documents=self.documents,
            flags=self.flags,
            application_date=self.application_date,
        )

    def identity_rejected(self, answer: idm.IdentityRejected, *, at: datetime) -> Step:
        if not self.is_open or self.identity != "pending":
            return self._ignore("identity rejection after it could matter")
        refused = ev.IdentityRefused(person_ref=answer.person_ref, reasons=answer.reasons)
        self.apply(refused)
        return self._refuse(Step([refused]), at=at)

    def side_reserved(
        self,
        name: PermitSide,
        number: str,
        valid_until: date | None,
        *,
        classification: Classification | None,
        at: datetime,
    ) -> Step:
        side = self.side(name)
        if side.status in ("reserved", "issued") and not side.assessing:
            return Step()  # a duplicate answer
        assessed = ev.SideAssessed(
            side=name,
            outcome="reserved",
            number=number,
            valid_until=valid_until,
            classification=classification,
        )
        self.apply(assessed)
        step = Step([assessed])
        if not self.is_open or self.compensating:
            # A late reservation: the case is refused or withdrawn, so it is cancelled.
            if not side.cancel_requested:
                reason: ReasonCode = (
                    "withdrawn_by_applicant"
                    if self.compensating == "withdrawn"
                    or (self.decided is not None and self.decided.outcome == "withdrawn")
                    else "counterpart_refused"
                )
                self._request_cancel(step, name, reason)
            return step
        if self.work.status == "reserved" and self.residence.status == "reserved":
            started = ev.IssueStarted(at=at)
            self.apply(started)
            step.events.append(started)
            step.send.append(
                (work_permit.IssueWorkPermit(application_id=self.application_id), "issue-work")
            )
        return step

    def side_refused(
        self,
        name: PermitSide,
        reasons: tuple[Reason, ...],
        *,
        classification: Classification | None,
        at: datetime,
    ) -> Step:
        if self.side(name).status == "refused":
            return Step()
        assessed = ev.SideAssessed(
            side=name,
            outcome="refused",
            reasons=tuple(r.model_copy(update={"side": name}) for r in reasons),
            classification=classification,
        )
        self.apply(assessed)
        step = Step([assessed])
        if not self.is_open:
            return step
        if self.compensating:
            return self._decide_if_compensated(step, at=at)
        return self._refuse(step, at=at)

    def side_needs_review(
        self,
        name: PermitSide,
        reasons: tuple[Reason, ...],
        missing: tuple[str, ...],
        *,
        classification: Classification | None,
        today: date,
        calendar: Calendar,
        respond_days: int,
    ) -> Step:
        assessed = ev.SideAssessed(
            side=name,
            outcome="review",
            missing_documents=missing,
            reasons=tuple(r.model_copy(update={"side": name}) for r in reasons),
            classification=classification,
        )
        self.apply(assessed)
        step = Step([assessed])
        if not self.is_open or self.compensating:
            if not self.side(name).cancel_requested:
                self._request_cancel(step, name, "counterpart_refused")
            return step
        only_documents = all(r.code == "document_missing" for r in reasons) and missing
        if only_documents and self.awaiting is None:
            awaited = ev.DocumentsAwaited(
                documents=missing,
                since=today,
                requested_by="system",
                respond_by=calendar.add_working_days(today, respond_days),
                reasons=assessed.reasons,
            )
            self.apply(awaited)
            step.events.append(awaited)
        elif only_documents and self.awaiting is not None:
            merged = tuple(dict.fromkeys((*self.awaiting.documents, *missing)))
            awaited = self.awaiting.model_copy(update={"documents": merged})
            self.apply(awaited)
            step.events.append(awaited)
        return step

    def side_issued(
        self, name: PermitSide, number: str, valid_until: date, *, at: datetime
    ) -> Step:
        if self.side(name).status == "issued":
            return Step()
        issued = ev.SideIssued(side=name, number=number, valid_until=valid_until)
        self.apply(issued)
        step = Step([issued])
        if name == "work":
            step.send.append(
                (
                    residence_permit.IssueResidencePermit(
                        application_id=self.application_id,
                        work_permit_number=number,
                        work_permit_valid_until=valid_until,
                    ),
                    "issue-residence",
                )
            )
        elif self.work.status == "issued":
            decided = ev.CaseDecided(outcome="approved", at=at, decided_by=self.decided_by())
            self.apply(decided)
            step.events.append(decided)
            step.send.append((self._close_case("approved"), "close"))
        return step

    def side_cancelled(self, name: PermitSide, number: str | None, *, at: datetime) -> Step:
        if self.side(name).status == "cancelled" or not self.side(name).cancel_requested:
            return Step()
        cancelled = ev.SideCancelled(side=name, number=number)
        self.apply(cancelled)
        return self._decide_if_compensated(Step([cancelled]), at=at)

    def officer_decided(
        self,
        name: PermitSide,
        decision: Literal["approve", "refuse", "request_documents"],
        officer: str,
        reason: str,
        documents: tuple[str, ...],
        *,
        today: date,
        calendar: Calendar,
        respond_days: int,
    ) -> Step:
        side = self.side(name)
        if not self.is_open or self.compensating or side.status != "review":
            return self._ignore(f"officer decision on a {side.status} {name} permit", name)
        recorded = ev.OfficerDecisionRecorded(
            side=name,
            decision=decision,
            officer=officer,
            reason=reason,
            documents=documents,
        )
        self.apply(recorded)
        step = Step([recorded])
        if decision == "request_documents":
            awaited = ev.DocumentsAwaited(
                documents=documents,
                since=today,
                requested_by="officer",
                respond_by=calendar.add_working_days(today, respond_days),
            )
            self.apply(awaited)
            step.events.append(awaited)
            return step
        command: Message
        if name == "work":
            command = work_permit.RecordWorkPermitOfficerDecision(
                application_id=self.application_id,
                decision=decision,
                officer=officer,
                reason=reason,
            )
        else:
            command = residence_permit.RecordResidencePermitOfficerDecision(
                application_id=self.application_id,
                decision=decision,
                officer=officer,
                reason=reason,
            )
        step.send.append((command, f"officer-{name}-{len(self.officers)}"))
        return step

    def documents_supplied(
        self, documents: tuple[DocumentRef, ...], *, today: date, calendar: Calendar
    ) -> Step:
        if not self.is_open or self.awaiting is None or self.due_on is None:
            return self._ignore("documents supplied when none were awaited")
        stopped = calendar.working_days_between(self.awaiting.since, today)
        received = ev.DocumentsReceived(
            documents=documents,
            on=today,
            stopped_days=stopped,
            new_due_on=calendar.add_working_days(self.due_on, stopped),
        )
        self.apply(received)
        return Step([received], [(self._verify_identity(), f"verify-{self.verification_round}")])

    def withdraw(self, *, at: datetime) -> Step:
        if not self.is_open or self.compensating:
            return Step()
        started = ev.CompensationStarted(cause="withdrawn", at=at)
        self.apply(started)
        step = Step([started])
        for name in SIDES:
            if self._holds_something(name):
                self._request_cancel(step, name, "withdrawn_by_applicant")
        return self._decide_if_compensated(step, at=at)

    def deadline_passed(self, *, today: date, at: datetime) -> Step:
        if (
            not self.is_open
            or self.awaiting is not None
            or self.due_on is None
            or today <= self.due_on
            or self.escalated_for == self.due_on
        ):
            return Step()
        missed = ev.DeadlineMissed(due_on=self.due_on, at=at)
        self.apply(missed)
        return Step([missed])

    # --- compensation ---------------------------------------------------------------

    def _holds_something(self, name: PermitSide) -> bool:
        side = self.side(name)
        return side.status in ("reserved", "review") or side.assessing

    def _request_cancel(self, step: Step, name: PermitSide, reason: ReasonCode) -> None:
        requested = ev.CancellationRequested(side=name, reason=reason)
        self.apply(requested)
        step.events.append(requested)
        command: Message
        if name == "work":
            command = work_permit.CancelWorkPermitReservation(
                application_id=self.application_id, reason=reason
            )
        else:
            command = residence_permit.CancelResidencePermitReservation(
                application_id=self.application_id, reason=reason
            )
        step.send.append((command, f"cancel-{name}"))

    def _refuse(self, step: Step, *, at: datetime) -> Step:
        started = ev.CompensationStarted(cause="refused", at=at)
        self.apply(started)
        step.events.append(started)
        for name in SIDES:
            if self.side(name).status != "refused" and self._holds_something(name):
                self._request_cancel(step, name, "counterpart_refused")
        return self._decide_if_compensated(step, at=at)

    def _decide_if_compensated(self, step: Step, *, at: datetime) -> Step:
        if self.compensating is None or self.decided is not None:
            return step
        waiting = any(
            not self.side(n).settled_after_cancel
            or (self.side(n).assessing and not self.side(n).cancel_requested)
            for n in SIDES
        )
        if waiting:
            return step
        outcome: ev.Outcome = "withdrawn" if self.compensating == "withdrawn" else "refused"
        reasons = (
            self.refusal_reasons()
            if outcome == "refused"
            else (Reason(code="withdrawn_by_applicant"),)
        )
        decided = ev.CaseDecided(
            outcome=outcome, at=at, decided_by=self.decided_by(), reasons=reasons
        )
        self.apply(decided)
        step.events.append(decided)
        step.send.append((self._close_case(outcome), "close"))
        return step

    def refusal_reasons(self) -> tuple[Reason, ...]:
        """Every reason from identity and both sides; cancelled sides say why."""
        reasons = list(self.identity_reasons)
        for name in SIDES:
            side = self.side(name)
            if side.status == "refused":
                reasons += side.reasons
            elif side.status == "cancelled" and self.compensating == "refused":
                reasons.append(Reason(code="counterpart_refused", side=name))
        return tuple(reasons)

    def _close_case(self, outcome: ev.Outcome) -> idm.CloseCase:
        return idm.CloseCase(application_id=self.application_id, outcome=outcome)

    def _ignore(self, what: str, side: PermitSide | None = None) -> Step:
        return Step([ev.LateReplyIgnored(what=what, side=side)])


def _with_documents(form: ApplicationForm, supplied: tuple[DocumentRef, ...]) -> ApplicationForm:
    """The form with supplied documents replacing any earlier ones of the same kind."""
    kinds = {d.kind for d in supplied}
    kept = tuple(d for d in form.documents if d.kind not in kinds)
    return form.model_copy(update={"documents": kept + supplied})
