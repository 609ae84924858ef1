"""The combined application as an event-sourced saga: one joint decision, all or nothing.

`Case` follows the aggregate convention (`onewindow.runtime.aggregate`): `replay`
rebuilds it, `apply` is its only change, and each use-case method records every event
the moment it decides it into a `Step`, which it returns: the new stored events and the
commands to send. Nothing here does I/O; time and the working-day calendar are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from onewindow.applications.domain import events as ev
from onewindow.applications.domain.policy import ARTICLES, legal_basis
from onewindow.applications.domain.side import SETTLED, Side
from onewindow.contracts.message import Message
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit, work_permit
from onewindow.contracts.v1.applications import Actor, Status, SubmitApplication
from onewindow.contracts.v1.common import (
    SUPPLEMENT_CODES,
    ApplicationForm,
    Classification,
    DocumentRef,
    Employer,
    PermitSide,
    Reason,
    ReasonCode,
    ResolvedDocument,
)
from onewindow.runtime.aggregate import Aggregate, Recorded

SIDES: tuple[PermitSide, ...] = ("work", "residence")
SYSTEM = "system:onewindow-saga"
SHANGHAI = ZoneInfo("Asia/Shanghai")


# Policy values of "No case is ever stranded" (DOMAIN.md).
REMIND_AFTER_WORKING_DAYS = 10
OFFICER_ESCALATION_WORKING_DAYS = 3
RESEND_AFTER = timedelta(hours=1)
MAX_RENEWALS = 3
# Identity flags that hold a case for an officer however its permits were assessed.
HOLD_FLAGS: frozenset[str] = frozenset({"unverified_applicant"})
ESCALATE_AFTER = timedelta(hours=24)

TimerAction = Literal["remind", "no_response", "escalate", "resend"]


class Timer(NamedTuple):
    """What a waiting case does next on its own, and when."""

    due: datetime
    action: TimerAction


# The saga as one table: for every status, what it waits for, what each answer does and
# what its timer does when nothing comes. `Case` implements each cell; the rule-based
# property test drives every row. "late" answers are recorded (`LateReplyIgnored`), and
# a late reservation is released; an answer to a compensation is always taken.
TABLE: dict[Status, dict[str, str]] = {
    "verifying_identity": {
        "waits for": "identity's answer to VerifyIdentity",
        "IdentityVerified": "assessing: AssessWorkPermit + AssessResidencePermit",
        "IdentityRejected": "compensating, or refused at once when nothing is held",
        "WithdrawApplication": "withdrawn (nothing held) or compensating",
        "timer": "VerifyIdentity again every hour (same id); operators after 24 h",
    },
    "assessing": {
        "waits for": "each side's reservation, refusal or review",
        "…Reserved": "when both are reserved: issuing (lapsed ones renewed first)",
        "…Refused": "compensating: every side holding something is cancelled",
        "…ReviewRequired": "awaiting_documents (supplement codes) or awaiting_officer",
        "…ReservationExpired": "the side is lapsed; renewed when the case can go on",
        "WithdrawApplication": "compensating",
        "timer": "the unanswered commands again every hour (same ids); operators after 24 h",
    },
    "awaiting_officer": {
        "waits for": "RecordReview by an officer",
        "RecordReview": "the officer's decision to the permit service; or awaiting_documents",
        "WithdrawApplication": "compensating",
        "timer": "escalated to a supervisor after 3 working days, and again every 3",
    },
    "awaiting_documents": {
        "waits for": "SupplyDocuments from the applicant (the clock is stopped)",
        "SupplyDocuments": "verifying_identity again; the clock restarts",
        "WithdrawApplication": "compensating",
        "timer": "a reminder after 10 working days; refused with no_response after 20",
    },
    "issuing": {
        "waits for": "WorkPermitIssued and ResidencePermitIssued, asked for together",
        "…Issued": "both issued: approved",
        "…IssueRejected": "lapsed: renewed and issued again; otherwise compensating "
        "(an issued permit is revoked: permit_revoked)",
        "WithdrawApplication": "compensating: whatever was issued is revoked",
        "timer": "the unanswered commands again every hour (same ids); operators after 24 h",
    },
    "compensating": {
        "waits for": "every cancel's answer: released (…ReservationCancelled) or …Revoked",
        "…ReservationCancelled / …Revoked": "when every side is settled: refused or withdrawn",
        "timer": "the unanswered cancels again every hour (same ids); operators after 24 h",
    },
    "approved": {"timer": "none: final (identity's claim released by CloseCase)"},
    "refused": {"timer": "none: final (identity's claim released by CloseCase)"},
    "withdrawn": {"timer": "none: final (identity's claim released by CloseCase)"},
}
FINAL_STATUSES: frozenset[Status] = frozenset({"approved", "refused", "withdrawn"})


def start_of(day: date) -> datetime:
    """Midnight in Shanghai at the start of `day` (a timer due "on" a date)."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


class Calendar(Protocol):
    def add_working_days(self, start: date, n: int) -> date: ...
    def working_days_between(self, start: date, end: date) -> int: ...


# What one decision of a case recorded: stored events, and commands with their discriminator.
Step = Recorded[ev.CaseEvent, Message]
OfficerDecision = Literal["approve", "refuse", "request_documents"]


@dataclass
class Case(Aggregate[ev.CaseEvent]):
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
    held: bool = False  # flagged for an officer after verification (`CaseHeld`)
    hold_refused: Reason | None = None
    hold_cleared_by: str | None = None
    issue_attempt: int = 0
    failed: list[ev.IssueFailed] = field(default_factory=list)
    revoked: list[ev.SideRevoked] = field(default_factory=list)
    no_response: ev.SupplementLapsed | None = None
    reminded: bool = False
    # The timers' bookkeeping: since when the case has been in its status, and what its
    # timers did since (`now` is the moment of the event being applied).
    now: datetime | None = None
    status_since: datetime | None = None
    resends: int = 0
    escalations: int = 0

    # --- rebuilding -------------------------------------------------------------

    @classmethod
    def replay(cls, history: list[ev.CaseEvent], recorded: list[datetime] | None = None) -> Case:
        """The case its events leave; `recorded` (when each was stored) feeds the timers."""
        case = cls()
        for i, event in enumerate(history):
            case.apply(event, at=recorded[i] if recorded is not None else None)
        return case

    def side(self, name: PermitSide) -> Side:
        return self.work if name == "work" else self.residence

    def apply(self, event: ev.CaseEvent, at: datetime | None = None) -> None:
        if at is not None:
            self.now = at
        before = self.status if self.form is not None else None
        self._apply(event)
        if self.form is not None and self.status != before:
            # A new waiting state: its timers count from now.
            self.status_since = self.now or self.submitted_at
            self.resends = self.escalations = 0

    def _apply(self, event: ev.CaseEvent) -> None:
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
                    self.side(name).officer_decision = None
            case ev.SideAssessed():
                self.side(event.side).assessed(event)
            case ev.IssueStarted():
                self.issuing, self.issue_attempt = True, event.attempt
                # Stored before both were issued at once: the next side of the old order.
                legacy: tuple[PermitSide, ...] = (
                    ("work",) if self.work.status != "issued" else ("residence",)
                )
                for name in event.sides or legacy:
                    side = self.side(name)
                    side.issue_requested, side.issue_round = True, event.attempt
            case ev.SideIssued():
                self.side(event.side).issued(event.number, event.valid_until)
            case ev.CompensationStarted():
                self.compensating = event.cause
            case ev.CancellationRequested():
                side = self.side(event.side)
                side.cancel_requested, side.cancel_reason = True, event.reason
            case ev.SideCancelled():
                self.side(event.side).cancelled(event.number)
            case ev.SideRevoked():
                self.side(event.side).revoked(event.number)
                self.revoked.append(event)
            case ev.SideLapsed():
                side = self.side(event.side)
                if side.status == "reserved":
                    side.status = "lapsed"
            case ev.RenewalRequested():
                side = self.side(event.side)
                side.renewing, side.renewals = event.attempt, event.attempt
            case ev.IssueFailed():
                side = self.side(event.side)
                side.issue_requested, side.renewing = False, 0
                if event.state == "expired" and side.status == "reserved":
                    side.status = "lapsed"
                self.failed.append(event)
            case ev.SupplementLapsed():
                self.no_response = event
            case ev.CaseHeld():
                self.flags = tuple(dict.fromkeys((*self.flags, *event.flags)))
                self.held = True
            case ev.HoldCleared():
                self.held, self.hold_cleared_by = False, event.officer
                self.officers.append(event.officer)
                if event.decision == "refuse":
                    self.hold_refused = Reason(
                        code="refused_by_officer", side="case", detail=event.reason or None
                    )
            case ev.DocumentsReminded():
                self.reminded = True
            case ev.TimerEscalated():
                self.escalations += 1
            case ev.CommandsResent():
                self.resends += 1
            case ev.OfficerDecisionRecorded():
                self.officers.append(event.officer)
                if event.decision != "request_documents":
                    # The permit service answers with a reservation or a refusal.
                    side = self.side(event.side)
                    side.assessing = True
                    side.officer_decision, side.officer_round = event, len(self.officers)
            case ev.DocumentsAwaited():
                self.awaiting = event
                self.reminded = False
            case ev.DocumentsReceived():
                self.awaiting = None
                self.due_on, self.stopped_days = (
                    event.new_due_on,
                    self.stopped_days + event.stopped_days,
                )
                if self.form is not None:
                    self.form = _with_documents(self.form, event.documents)
                if self.form is not None and event.registration_number is not None:
                    residence = self.form.residence.model_copy(
                        update={"registration_number": event.registration_number}
                    )
                    self.form = self.form.model_copy(update={"residence": residence})
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
        if self.held:
            return "awaiting_officer"
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
        step = Step()
        if self.form is not None:
            return step
        opened = ev.CaseOpened(
            application_id=command.application_id,
            form=command.form,
            submitted_by=command.submitted_by,
            submitted_at=command.submitted_at,
            due_on=due_on,
        )
        self.record(opened, into=step)
        step.send.append(self._verify_command())
        return step

    def _verify_command(self) -> tuple[Message, str]:
        """`VerifyIdentity` for this round of verification (the first, or after documents)."""
        assert self.form is not None
        assert self.submitted_at is not None
        applicant = self.form.applicant
        command = idm.VerifyIdentity(
            application_id=self.application_id,
            nationality=applicant.nationality,
            passport_number=applicant.passport.number,
            passport_expires_on=applicant.passport.expires_on,
            date_of_birth=applicant.date_of_birth,
            employer_uscc=self.form.employer.uscc,
            documents=self.form.documents,
            application_date=self.application_date,
            # The passport the submitter's account was verified for (real-name check):
            # identity lets such a case take the person's claim from an unverified one.
            verified_passport=self.submitted_by.passport if self.submitted_by else None,
        )
        return command, f"verify-{self.verification_round}"

    def identity_verified(self, answer: idm.IdentityVerified) -> Step:
        if not self.is_open or self.compensating:
            return self._ignore("identity verified after it could matter")
        step = Step()
        if self.identity != "pending":
            # Identity speaks again of a verified case: new flags put it before an officer
            # (unless it is already being issued: then it is too late to stop it).
            new = tuple(f for f in answer.flags if f not in self.flags)
            if self.identity != "verified" or not new or self.issuing:
                return self._ignore("identity verified after it could matter")
            self.record(ev.CaseHeld(flags=new), into=step)
            return step
        resolved = ev.IdentityResolved(
            person_ref=answer.person_ref,
            employer=answer.employer,
            documents=answer.documents,
            flags=answer.flags,
        )
        self.record(resolved, into=step)
        if HOLD_FLAGS & set(answer.flags) and not self.held and self.hold_cleared_by is None:
            self.record(ev.CaseHeld(flags=tuple(HOLD_FLAGS & set(answer.flags))), into=step)
        sides = tuple(s for s in SIDES if self.side(s).status in ("pending", "review"))
        self.record(ev.AssessmentRequested(sides=sides, round=self.assessment_round + 1), into=step)
        step.send.extend(self._assess_command(name) for name in sides)
        return step

    def _assess_command(self, name: PermitSide) -> tuple[Message, str]:
        """`name`'s assessment in this round of assessment."""
        assert self.form is not None
        assert self.employer is not None
        assert self.submitted_at is not None
        applicant = self.form.applicant
        command: Message
        if name == "work":
            command = work_permit.AssessWorkPermit(
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
        else:
            command = residence_permit.AssessResidencePermit(
                application_id=self.application_id,
                person_ref=self.person_ref,
                date_of_birth=applicant.date_of_birth,
                passport_expires_on=applicant.passport.expires_on,
                registration_number=self.form.residence.registration_number,
                documents=self.documents,
                flags=self.flags,
                application_date=self.application_date,
            )
        return command, f"assess-{name}-{self.assessment_round}"

    def identity_rejected(self, answer: idm.IdentityRejected, *, at: datetime) -> Step:
        if not self.is_open or self.identity != "pending":
            return self._ignore("identity rejection after it could matter")
        step = Step()
        self.record(
            ev.IdentityRefused(person_ref=answer.person_ref, reasons=answer.reasons), into=step
        )
        return self._refuse(step, at=at)

    def side_reserved(
        self,
        name: PermitSide,
        number: str,
        valid_until: date | None,
        *,
        classification: Classification | None,
        at: datetime,
    ) -> Step:
        step = Step()
        side = self.side(name)
        if side.status in ("reserved", "issued") and not side.assessing and not side.renewing:
            return step  # a duplicate answer
        if side.status in SETTLED and not side.assessing:
            return self._ignore(f"a reservation of a {side.status} {name} permit", name)
        self.now = at
        assessed = ev.SideAssessed(
            side=name,
            outcome="reserved",
            number=number,
            valid_until=valid_until,
            classification=classification,
        )
        self.record(assessed, into=step)
        if not self.is_open or self.compensating:
            # A late reservation: the case is refused or withdrawn, so it is released.
            if not side.cancel_requested:
                reason: ReasonCode = (
                    "withdrawn_by_applicant"
                    if self.compensating == "withdrawn"
                    or (self.decided is not None and self.decided.outcome == "withdrawn")
                    else "counterpart_refused"
                )
                self._request_cancel(step, name, reason)
            return step
        return self._go_on(step)

    def _go_on(self, step: Step) -> Step:
        """Move towards issue once nothing is awaited: lapsed reservations are renewed
        first, then both permits are issued at once (a side renewed while issuing is
        issued once it is reserved again)."""
        if not self.is_open or self.compensating or self.awaiting is not None or self.held:
            return step
        if self.issuing:
            due: list[PermitSide] = []
            for name in SIDES:
                side = self.side(name)
                if side.issue_requested or side.renewing or side.status == "issued":
                    continue
                if side.status == "lapsed":
                    self._request_renewal(step, name)
                elif side.status == "reserved":
                    due.append(name)
            return self._start_issue(step, due) if due else step
        if any(self.side(n).status not in ("reserved", "lapsed") for n in SIDES):
            return step
        if any(self.side(n).renewing for n in SIDES):
            return step
        lapsed = [n for n in SIDES if self.side(n).status == "lapsed"]
        for name in lapsed:
            self._request_renewal(step, name)
        return step if lapsed else self._start_issue(step, list(SIDES))

    def _start_issue(self, step: Step, sides: list[PermitSide]) -> Step:
        """Ask for both permits together (the residence permit's validity follows the work
        permit's, known since its reservation): all or nothing is kept by compensation,
        as when one cannot be issued after the other was."""
        assert self.now is not None
        started = ev.IssueStarted(at=self.now, attempt=self.issue_attempt + 1, sides=tuple(sides))
        self.record(started, into=step)
        step.send.extend(self._issue_command(name) for name in sides)
        return step

    def _issue_command(self, name: PermitSide) -> tuple[Message, str]:
        attempt = self.side(name).issue_round
        if name == "work":
            return (
                work_permit.IssueWorkPermit(application_id=self.application_id),
                f"issue-work-{attempt}",
            )
        assert self.work.number is not None
        assert self.work.valid_until is not None
        return (
            residence_permit.IssueResidencePermit(
                application_id=self.application_id,
                work_permit_number=self.work.number,
                work_permit_valid_until=self.work.valid_until,
            ),
            f"issue-residence-{attempt}",
        )

    def _request_renewal(self, step: Step, name: PermitSide) -> None:
        self.record(ev.RenewalRequested(side=name, attempt=self.side(name).renewals + 1), into=step)
        step.send.append(self._renew_command(name))

    def _renew_command(self, name: PermitSide) -> tuple[Message, str]:
        attempt = self.side(name).renewing
        if name == "work":
            return (
                work_permit.RenewWorkPermitReservation(application_id=self.application_id),
                f"renew-work-{attempt}",
            )
        return (
            residence_permit.RenewResidencePermitReservation(application_id=self.application_id),
            f"renew-residence-{attempt}",
        )

    def side_lapsed(self, name: PermitSide, number: str, *, at: datetime) -> Step:
        """A side's reservation lapsed: renewed when the case can go on, never issued on."""
        side = self.side(name)
        if side.status != "reserved" or side.number != number:
            return self._ignore(f"a lapse of a {side.status} {name} permit", name)
        self.now = at
        step = Step()
        self.record(ev.SideLapsed(side=name, number=number), into=step)
        return self._go_on(step)

    def issue_failed(self, name: PermitSide, state: str, *, at: datetime) -> Step:
        """A permit service could not issue (or renew) a side. A lapse is renewed and the
        issue tried again; anything else ends the case refused, and a permit already
        issued is revoked: never one valid permit without the other."""
        side = self.side(name)
        if not self.is_open or side.status == "issued":
            return self._ignore(f"an issue rejected ({state}) for a {side.status} {name} permit")
        if not side.issue_requested and not side.renewing:
            return self._ignore(f"an issue rejected ({state}) that was not asked for", name)
        self.now = at
        step = Step()
        self.record(ev.IssueFailed(side=name, state=state), into=step)
        if self.compensating:
            return self._decide_if_compensated(step, at=at)
        if state == "expired" and side.renewals < MAX_RENEWALS:
            return self._go_on(step)
        return self._refuse(step, at=at)

    def side_revoked(
        self, name: PermitSide, number: str, reason: ReasonCode, *, at: datetime
    ) -> Step:
        step = Step()
        if self.side(name).status == "revoked":
            return step
        self.now = at
        self.record(ev.SideRevoked(side=name, number=number, reason=reason), into=step)
        return self._decide_if_compensated(step, at=at)

    def side_refused(
        self,
        name: PermitSide,
        reasons: tuple[Reason, ...],
        *,
        classification: Classification | None,
        at: datetime,
    ) -> Step:
        step = Step()
        if self.side(name).status == "refused":
            return step
        self.now = at
        assessed = ev.SideAssessed(
            side=name,
            outcome="refused",
            reasons=tuple(r.model_copy(update={"side": name}) for r in reasons),
            classification=classification,
        )
        self.record(assessed, into=step)
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
        step = Step()
        assessed = ev.SideAssessed(
            side=name,
            outcome="review",
            missing_documents=missing,
            reasons=tuple(r.model_copy(update={"side": name}) for r in reasons),
            classification=classification,
        )
        self.record(assessed, into=step)
        if not self.is_open or self.compensating:
            if not self.side(name).cancel_requested:
                self._request_cancel(step, name, "counterpart_refused")
            return step
        # Asking the applicant (missing, expired or unregistered) stops the clock; anything
        # else is an officer's to look at.
        only_documents = bool(reasons) and all(r.code in SUPPLEMENT_CODES for r in reasons)
        missing = missing or tuple(dict.fromkeys(r.code for r in reasons))
        if only_documents and self.awaiting is None:
            awaited = ev.DocumentsAwaited(
                documents=missing,
                since=today,
                requested_by="system",
                respond_by=calendar.add_working_days(today, respond_days),
                reasons=assessed.reasons,
            )
            self.record(awaited, into=step)
        elif only_documents and self.awaiting is not None:
            merged = tuple(dict.fromkeys((*self.awaiting.documents, *missing)))
            self.record(self.awaiting.model_copy(update={"documents": merged}), into=step)
        return step

    def side_issued(
        self, name: PermitSide, number: str, valid_until: date, *, at: datetime
    ) -> Step:
        step = Step()
        if self.side(name).status == "issued":
            return step
        self.now = at
        self.record(ev.SideIssued(side=name, number=number, valid_until=valid_until), into=step)
        if self.compensating or not self.is_open:
            return step  # its cancel is on the way behind it: the permit will be revoked
        if self.work.status == "issued" and self.residence.status == "issued":
            return self._decide(step, "approved", at=at, decided_by=self.decided_by())
        return self._go_on(step)

    def side_cancelled(self, name: PermitSide, number: str | None, *, at: datetime) -> Step:
        step = Step()
        if self.side(name).status == "cancelled" or not self.side(name).cancel_requested:
            return step
        self.record(ev.SideCancelled(side=name, number=number), into=step)
        return self._decide_if_compensated(step, at=at)

    def officer_decided(
        self,
        name: PermitSide,
        decision: OfficerDecision,
        officer: str,
        reason: str,
        documents: tuple[str, ...],
        *,
        today: date,
        calendar: Calendar,
        respond_days: int,
    ) -> Step:
        side = self.side(name)
        # What the decision asks of the applicant if it is a request for documents.
        asked = ev.DocumentsAwaited(
            documents=documents,
            since=today,
            requested_by="officer",
            respond_by=calendar.add_working_days(today, respond_days),
        )
        if self.is_open and not self.compensating and self.held and side.status != "review":
            return self._decide_hold(decision, officer, reason, asked)
        if not self.is_open or self.compensating or side.status != "review":
            return self._ignore(f"officer decision on a {side.status} {name} permit", name)
        step = Step()
        recorded = ev.OfficerDecisionRecorded(
            side=name,
            decision=decision,
            officer=officer,
            reason=reason,
            documents=documents,
        )
        self.record(recorded, into=step)
        if self.held and decision != "refuse":
            # The officer looked at the case too: the hold is answered with this decision
            # (a refusal comes back from the permit service and refuses the case anyway).
            self.record(
                ev.HoldCleared(officer=officer, decision=decision, reason=reason), into=step
            )
        if decision == "request_documents":
            self.record(asked, into=step)
            return step
        # Sent under the id every resend of it uses (the side's officer round: a hold
        # cleared in the same step must not count the officer twice).
        sent = self._officer_resend(name)
        assert sent is not None
        step.send.append(sent)
        return step

    def _decide_hold(
        self, decision: OfficerDecision, officer: str, reason: str, asked: ev.DocumentsAwaited
    ) -> Step:
        """An officer decides a held case: approval lets it go on, a refusal refuses it,
        a request for documents asks the applicant (`asked`)."""
        step = Step()
        self.record(ev.HoldCleared(officer=officer, decision=decision, reason=reason), into=step)
        if decision == "refuse":
            assert self.now is not None
            return self._refuse(step, at=self.now)
        if decision == "request_documents" and asked.documents and self.awaiting is None:
            self.record(asked, into=step)
            return step
        return self._go_on(step)

    def _officer_command(
        self, name: PermitSide, decision: Literal["approve", "refuse"], officer: str, reason: str
    ) -> Message:
        """An officer's decision as `name`'s permit service takes it."""
        if name == "work":
            return work_permit.RecordWorkPermitOfficerDecision(
                application_id=self.application_id,
                decision=decision,
                officer=officer,
                reason=reason,
            )
        return residence_permit.RecordResidencePermitOfficerDecision(
            application_id=self.application_id,
            decision=decision,
            officer=officer,
            reason=reason,
        )

    def _officer_resend(self, name: PermitSide) -> tuple[Message, str] | None:
        """The last officer decision sent to `name`'s permit service (for a resend)."""
        recorded = self.side(name).officer_decision
        if recorded is None or recorded.decision == "request_documents":
            return None
        command = self._officer_command(name, recorded.decision, recorded.officer, recorded.reason)
        return command, f"officer-{name}-{self.side(name).officer_round}"

    def documents_supplied(
        self,
        documents: tuple[DocumentRef, ...],
        *,
        today: date,
        calendar: Calendar,
        registration_number: str | None = None,
    ) -> Step:
        if not self.is_open or self.awaiting is None or self.due_on is None:
            return self._ignore("documents supplied when none were awaited")
        stopped = calendar.working_days_between(self.awaiting.since, today)
        received = ev.DocumentsReceived(
            documents=documents,
            registration_number=registration_number,
            on=today,
            stopped_days=stopped,
            new_due_on=calendar.add_working_days(self.due_on, stopped),
        )
        step = Step()
        self.record(received, into=step)
        step.send.append(self._verify_command())
        return step

    def withdraw(self, *, at: datetime) -> Step:
        step = Step()
        if not self.is_open or self.compensating:
            return step
        self.record(ev.CompensationStarted(cause="withdrawn", at=at), into=step)
        for name in SIDES:
            if self.side(name).holds_something:
                self._request_cancel(step, name, "withdrawn_by_applicant")
        return self._decide_if_compensated(step, at=at)

    def deadline_passed(self, *, today: date, at: datetime) -> Step:
        step = Step()
        if (
            not self.is_open
            or self.awaiting is not None
            or self.due_on is None
            or today <= self.due_on
            or self.escalated_for == self.due_on
        ):
            return step
        self.record(ev.DeadlineMissed(due_on=self.due_on, at=at), into=step)
        return step

    # --- timers: every waiting state has a deadline and an action ------------------------

    def next_timer(self, calendar: Calendar) -> Timer | None:
        """When this case next acts on its own, and how; None once it is decided."""
        if not self.is_open:
            return None
        since = self.status_since or self.submitted_at
        assert since is not None
        status = self.status
        if status == "awaiting_documents":
            assert self.awaiting is not None
            if not self.reminded:
                remind = calendar.add_working_days(self.awaiting.since, REMIND_AFTER_WORKING_DAYS)
                if remind < self.awaiting.respond_by:
                    return Timer(start_of(remind), "remind")
            return Timer(start_of(self.awaiting.respond_by + timedelta(days=1)), "no_response")
        if status == "awaiting_officer":
            waited = OFFICER_ESCALATION_WORKING_DAYS * (self.escalations + 1)
            day = calendar.add_working_days(since.astimezone(SHANGHAI).date(), waited)
            return Timer(start_of(day), "escalate")
        resend = since + RESEND_AFTER * (self.resends + 1)
        escalate = since + ESCALATE_AFTER
        if self.escalations == 0 and escalate <= resend:
            return Timer(escalate, "escalate")
        return Timer(resend, "resend")

    def timer_fired(self, *, now: datetime, calendar: Calendar) -> Step:
        """Do what the case's timer says if it is due; nothing otherwise (a timer that
        fires twice, or early, changes nothing)."""
        step = Step()
        timer = self.next_timer(calendar)
        if timer is None or timer.due > now:
            return step
        self.now = now
        match timer.action:
            case "remind":
                self.record(ev.DocumentsReminded(at=now), into=step)
            case "no_response":
                assert self.awaiting is not None
                lapsed = ev.SupplementLapsed(respond_by=self.awaiting.respond_by, at=now)
                self.record(lapsed, into=step)
                return self._refuse(step, at=now)
            case "escalate":
                assert self.status_since is not None
                escalated = ev.TimerEscalated(status=self.status, since=self.status_since, at=now)
                self.record(escalated, into=step)
            case "resend":
                outstanding = self.outstanding()
                resent = ev.CommandsResent(at=now, commands=tuple(d for _, d in outstanding))
                self.record(resent, into=step)
                step.send.extend(outstanding)
        return step

    def outstanding(self) -> list[tuple[Message, str]]:
        """The commands sent and not yet answered, rebuilt with the discriminators they
        were first sent under (so a resend carries the first id and nothing doubles)."""
        if not self.is_open:
            return []
        found: list[tuple[Message, str]] = []
        if self.identity == "pending" and self.awaiting is None and not self.compensating:
            found.append(self._verify_command())
        for name in SIDES:
            side = self.side(name)
            if side.cancel_requested:
                if not side.settled_after_cancel:
                    found.append(self._cancel_command(name))
            elif side.renewing:
                found.append(self._renew_command(name))
            elif side.issue_requested:
                found.append(self._issue_command(name))
            elif side.assessing:
                found.append(self._officer_resend(name) or self._assess_command(name))
        return found

    # --- compensation ---------------------------------------------------------------

    def _request_cancel(self, step: Step, name: PermitSide, reason: ReasonCode) -> None:
        self.record(ev.CancellationRequested(side=name, reason=reason), into=step)
        step.send.append(self._cancel_command(name))

    def _cancel_command(self, name: PermitSide) -> tuple[Message, str]:
        reason = self.side(name).cancel_reason or "counterpart_refused"
        command: Message
        if name == "work":
            command = work_permit.CancelWorkPermitReservation(
                application_id=self.application_id, reason=reason
            )
        else:
            command = residence_permit.CancelResidencePermitReservation(
                application_id=self.application_id, reason=reason
            )
        return command, f"cancel-{name}"

    def _refuse(self, step: Step, *, at: datetime) -> Step:
        self.record(ev.CompensationStarted(cause="refused", at=at), into=step)
        for name in SIDES:
            side = self.side(name)
            if side.status not in SETTLED and side.holds_something:
                issued = side.status == "issued" or side.issue_requested
                self._request_cancel(
                    step, name, "permit_revoked" if issued else "counterpart_refused"
                )
        return self._decide_if_compensated(step, at=at)

    def _decide_if_compensated(self, step: Step, *, at: datetime) -> Step:
        if self.compensating is None or self.decided is not None:
            return step
        waiting = any(
            not side.settled_after_cancel
            or (
                (side.assessing or side.renewing or side.issue_requested)
                and not side.cancel_requested
            )
            for side in (self.work, self.residence)
        )
        if waiting:
            return step
        outcome: ev.Outcome = "withdrawn" if self.compensating == "withdrawn" else "refused"
        reasons = (
            self.refusal_reasons()
            if outcome == "refused"
            else (Reason(code="withdrawn_by_applicant", legal_basis=legal_basis("withdrawn")),)
        )
        decided_by = "applicant" if outcome == "withdrawn" else self.decided_by()
        return self._decide(step, outcome, at=at, decided_by=decided_by, reasons=reasons)

    def _decide(
        self,
        step: Step,
        outcome: ev.Outcome,
        *,
        at: datetime,
        decided_by: str,
        reasons: tuple[Reason, ...] = (),
    ) -> Step:
        """Decide the case; identity's claim on the person is released (`CloseCase`)."""
        decided = ev.CaseDecided(outcome=outcome, at=at, decided_by=decided_by, reasons=reasons)
        self.record(decided, into=step)
        step.send.append(
            (idm.CloseCase(application_id=self.application_id, outcome=outcome), "close")
        )
        return step

    def refusal_reasons(self) -> tuple[Reason, ...]:
        """Every reason from identity and both sides; cancelled and revoked sides say why."""
        reasons = list(self.identity_reasons)
        if self.hold_refused is not None:
            reasons.append(self.hold_refused)
        if self.no_response is not None:
            reasons.append(
                Reason(
                    code="no_response",
                    params={"respond_by": self.no_response.respond_by.isoformat()},
                )
            )
        refused = (
            bool(self.identity_reasons)
            or self.hold_refused is not None
            or any(self.side(n).status == "refused" for n in SIDES)
        )
        for failed in self.failed:
            other: PermitSide = "residence" if failed.side == "work" else "work"
            reasons.append(
                Reason(
                    code="counterpart_refused",
                    side=other,
                    detail=f"the {failed.side} permit could not be issued ({failed.state})",
                )
            )
        for name in SIDES:
            side = self.side(name)
            if side.status == "refused":
                reasons += side.reasons
            elif side.status == "revoked":
                reasons.append(
                    Reason(
                        code="permit_revoked",
                        side=name,
                        params={"permit_number": side.number or ""},
                    )
                )
            elif side.status == "cancelled" and refused:
                reasons.append(Reason(code="counterpart_refused", side=name))
        # The reasons the saga gives itself rest on the joint procedure's rules.
        return tuple(
            r
            if r.legal_basis is not None or r.code not in ARTICLES
            else r.model_copy(update={"legal_basis": legal_basis(r.code)})
            for r in reasons
        )

    def _ignore(self, what: str, side: PermitSide | None = None) -> Step:
        step = Step()
        self.record(ev.LateReplyIgnored(what=what, side=side), into=step)
        return step


def _with_documents(form: ApplicationForm, supplied: tuple[DocumentRef, ...]) -> ApplicationForm:
    """The form with supplied documents replacing any earlier ones of the same kind."""
    kinds = {d.kind for d in supplied}
    kept = tuple(d for d in form.documents if d.kind not in kinds)
    return form.model_copy(update={"documents": kept + supplied})
