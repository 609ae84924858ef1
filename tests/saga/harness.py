"""A simulated city for the saga: the real `Case` and the real permit aggregates, wired by
in-memory channels that behave like Kafka topics (in order per channel, redelivered at
will, deduplicated by message id at the receiver), under a clock the test moves.

Identity is a small model (it verifies, and counts the claims `CloseCase` releases).
Assessment outcomes are chosen by the test; everything after an assessment (issue,
cancel, revoke, renew, lapse) is decided by the permit services' own domain code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from onewindow.applications.application.handlers import integration_events
from onewindow.applications.domain.case import Case, Step
from onewindow.applications.domain.policy import policy_on
from onewindow.contracts.envelope import deterministic_id
from onewindow.contracts.message import Message
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit as rpm
from onewindow.contracts.v1 import work_permit as wpm
from onewindow.contracts.v1.applications import Actor, SubmitApplication
from onewindow.contracts.v1.common import (
    Applicant,
    ApplicationForm,
    Classification,
    DocumentRef,
    Employer,
    EmployerRef,
    Passport,
    PermitSide,
    Position,
    Qualifications,
    Reason,
    Residence,
)
from onewindow.residence_permit.domain import events as rde
from onewindow.residence_permit.domain.permit import ResidencePermit
from onewindow.residence_permit.domain.policy import published_policies as residence_policies
from onewindow.runtime.calendar import WorkingCalendar, default_calendar
from onewindow.runtime.clock import local_date
from onewindow.work_permit.domain import events as wde
from onewindow.work_permit.domain.permit import WorkPermit
from onewindow.work_permit.domain.policy import published_policies as work_policies

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2 March, 09:00 in Shanghai
CASE = "case-1"
WORK_POLICIES, RESIDENCE_POLICIES = work_policies(), residence_policies()
Outcome = Literal["reserve", "refuse", "documents", "officer"]
Channel = Literal["identity", "work", "residence", "saga"]


def form() -> ApplicationForm:
    return ApplicationForm(
        applicant=Applicant(
            surname="DE JONG",
            given_names="ANNA",
            sex="F",
            date_of_birth=date(1984, 8, 12),
            nationality="NLD",
            passport=Passport(number="NX4K2P7R1", expires_on=date(2033, 10, 31)),
            email="anna@example.org",
        ),
        employer=EmployerRef(uscc="91310104MA1FL5KX1N", contact_email="hr@example.com"),
        position=Position(
            title="Chief Scientist",
            annual_salary_cny=900_000,
            contract_start=date(2026, 4, 1),
            contract_end=date(2029, 3, 31),
            months_in_china_per_year=12,
        ),
        qualifications=Qualifications(education="doctorate", experience_years=15),
        residence=Residence(address="Xuhui", registration_number="XH-2026-000123"),
        documents=(DocumentRef(kind="degree", registry_id="deg-1"),),
    )


@dataclass
class Delivery:
    id: str
    message: Any  # a bus Message (to a service) or a permit domain event (to the saga)
    side: PermitSide | None = None


@dataclass
class City:
    """One case, its two permits and identity, with the channels between them."""

    calendar: WorkingCalendar = field(default_factory=default_calendar)
    now: datetime = START
    case: Case = field(default_factory=Case)
    work: WorkPermit = field(default_factory=lambda: WorkPermit(CASE))
    residence: ResidencePermit = field(default_factory=lambda: ResidencePermit(CASE))
    outcomes: dict[PermitSide, deque[Outcome]] = field(
        default_factory=lambda: {"work": deque(), "residence": deque()}
    )
    channels: dict[Channel, deque[Delivery]] = field(
        default_factory=lambda: {c: deque() for c in ("identity", "work", "residence", "saga")}
    )
    seen: dict[Channel, set[str]] = field(
        default_factory=lambda: {c: set() for c in ("identity", "work", "residence", "saga")}
    )
    last: dict[Channel, Delivery] = field(default_factory=dict)
    claims_released: int = 0
    notices: list[Message] = field(default_factory=list)
    numbers: int = 0

    # --- the saga's side --------------------------------------------------------------

    def saga(self, act: Callable[[Case], Step], cause: str) -> Step:
        self.case.now = self.now
        step = act(self.case)
        policy = policy_on(local_date(self.now))
        if self.case.form is not None:
            self.notices += [
                m for m, _ in integration_events(self.case, step.events, at=self.now, policy=policy)
            ]
        for message, discriminator in step.send:
            # As the saga's outbox does: a command's id names the case and what it asks.
            command_id = deterministic_id(f"saga:{CASE}", discriminator)
            self.channels[_channel_of(message)].append(Delivery(command_id, message))
        return step

    def submit(self) -> None:
        command = SubmitApplication(
            application_id=CASE,
            submitted_by=Actor(sub="anna", role="applicant"),
            submitted_at=self.now,
            form=form(),
        )
        due = self.calendar.add_working_days(local_date(self.now), 7)
        self.saga(lambda c: c.open(command, due_on=due), "submit")

    # --- the services -------------------------------------------------------------------

    def deliver(self, channel: Channel, again: bool = False) -> bool:
        """Deliver the head of `channel` (or, with `again`, its last message once more)."""
        if again:
            if channel not in self.last:
                return False
            delivery = self.last[channel]
        else:
            if not self.channels[channel]:
                return False
            delivery = self.channels[channel].popleft()
            self.last[channel] = delivery
        if delivery.id in self.seen[channel]:
            return True  # the receiver recorded this id with its last commit: ignored
        self.seen[channel].add(delivery.id)
        if channel == "saga":
            self._to_saga(delivery)
        elif channel == "identity":
            self._to_identity(delivery)
        else:
            self._to_permit(channel, delivery)
        return True

    def _answer(self, side: PermitSide, cause: str, events: list[Any]) -> None:
        # The permit's decision recorded `events` on it already: they only travel on.
        for i, event in enumerate(events):
            self.channels["saga"].append(Delivery(deterministic_id(cause, str(i)), event, side))

    def _to_identity(self, delivery: Delivery) -> None:
        message = delivery.message
        if isinstance(message, idm.CloseCase):
            self.claims_released += 1
            return
        assert isinstance(message, idm.VerifyIdentity)
        answer = idm.IdentityVerified(
            application_id=CASE,
            person_ref="P-1",
            employer=Employer(
                uscc="91310104MA1FL5KX1N", name="ACME", licence_valid_until=date(2030, 1, 1)
            ),
            documents=(),
        )
        self.channels["saga"].append(Delivery(deterministic_id(delivery.id, "answer"), answer))

    def _to_permit(self, side: Channel, delivery: Delivery) -> None:
        assert side in ("work", "residence")
        message, now = delivery.message, self.now
        if side == "work":
            w = self.work
            match message:
                case wpm.AssessWorkPermit():
                    events = w.record(*self._assessed(side, w.state in ("new", "review_required")))
                case wpm.IssueWorkPermit():
                    events = w.issue(now)
                case wpm.CancelWorkPermitReservation():
                    events = w.cancel_reservation(message.reason, now)
                case wpm.RenewWorkPermitReservation():
                    events = w.renew_reservation(WORK_POLICIES, now)
                case wpm.RecordWorkPermitOfficerDecision():
                    events = w.record_officer_decision(
                        message.decision,
                        message.officer,
                        message.reason,
                        WORK_POLICIES,
                        now,
                        self._number("WP"),
                    )
                case _:
                    raise AssertionError(message)
        else:
            r = self.residence
            match message:
                case rpm.AssessResidencePermit():
                    events = r.record(*self._assessed(side, r.state in ("new", "review_required")))
                case rpm.IssueResidencePermit():
                    events = r.issue(
                        message.work_permit_number, message.work_permit_valid_until, now
                    )
                case rpm.CancelResidencePermitReservation():
                    events = r.cancel_reservation(message.reason, now)
                case rpm.RenewResidencePermitReservation():
                    events = r.renew_reservation(RESIDENCE_POLICIES, now)
                case rpm.RecordResidencePermitOfficerDecision():
                    events = r.record_officer_decision(
                        message.decision,
                        message.officer,
                        message.reason,
                        RESIDENCE_POLICIES,
                        now,
                        self._number("RP"),
                    )
                case _:
                    raise AssertionError(message)
        self._answer(side, delivery.id, list(events))

    def _number(self, prefix: str) -> str:
        self.numbers += 1
        return f"{prefix}-{self.numbers:06d}"

    def _assessed(self, side: PermitSide, assessable: bool) -> list[Any]:
        """The permit service's assessment, its outcome chosen by the test (the caller
        records it on the permit, as the permit's own decision would)."""
        if not assessable:
            return []
        outcome = self.outcomes[side].popleft() if self.outcomes[side] else "reserve"
        until = (self.now + timedelta(days=30)).replace(microsecond=0)
        reasons: tuple[Reason, ...]
        if side == "work":
            assessed: Any = wde.Assessed(
                application_id=CASE, person_ref="P-1", application_date=date(2026, 3, 2),
                passport_expires_on=date(2033, 10, 31), contract_start=date(2026, 4, 1),
                contract_end=date(2029, 3, 31), employer_uscc="91310104MA1FL5KX1N",
                classification=Classification(category="A", points=95),
            )  # fmt: skip
            match outcome:
                case "reserve":
                    return [assessed, wde.Reserved(
                        permit_number=self._number("WP"), valid_until=date(2029, 3, 31),
                        reserved_until=until, classification=assessed.classification,
                    )]  # fmt: skip
                case "refuse":
                    return [assessed, wde.Refused(reasons=(Reason(code="not_eligible_category"),))]
                case "documents":
                    reasons = (Reason(code="document_missing", params={"documents": "degree"}),)
                    return [assessed, wde.ReviewRequired(
                        reasons=reasons, missing_documents=("degree",))]  # fmt: skip
                case "officer":
                    return [assessed, wde.ReviewRequired(reasons=(Reason(code="watchlist_match"),))]
        assessed = rde.Assessed(
            application_id=CASE, person_ref="P-1", application_date=date(2026, 3, 2),
            date_of_birth=date(1984, 8, 12), passport_expires_on=date(2033, 10, 31),
        )  # fmt: skip
        match outcome:
            case "reserve":
                return [assessed, rde.Reserved(permit_number=self._number("RP"),
                                               reserved_until=until)]  # fmt: skip
            case "refuse":
                return [assessed, rde.Refused(reasons=(Reason(code="health_certificate_too_old"),))]
            case "documents":
                reasons = (Reason(code="document_missing", params={"documents": "health"}),)
                return [
                    assessed,
                    rde.ReviewRequired(reasons=reasons, missing_documents=("health",)),
                ]
            case _:
                return [assessed, rde.ReviewRequired(reasons=(Reason(code="watchlist_match"),))]

    def _to_saga(self, delivery: Delivery) -> None:
        message, side, now = delivery.message, delivery.side, self.now
        today, calendar = local_date(now), self.calendar
        match message:
            case idm.IdentityVerified():
                self.saga(lambda c: c.identity_verified(message), delivery.id)
                return
        assert side is not None
        name = type(message).__name__
        act: Callable[[Case], Step]
        if name == "Reserved":
            valid_until = getattr(message, "valid_until", None)
            act = lambda c: c.side_reserved(  # noqa: E731
                side, message.permit_number, valid_until, classification=None, at=now
            )
        elif name == "Refused":
            act = lambda c: c.side_refused(side, message.reasons, classification=None, at=now)  # noqa: E731
        elif name == "ReviewRequired":
            act = lambda c: c.side_needs_review(  # noqa: E731
                side,
                message.reasons,
                message.missing_documents,
                classification=None,
                today=today,
                calendar=calendar,
                respond_days=20,
            )
        elif name == "Issued":
            act = lambda c: c.side_issued(side, message.permit_number, message.valid_until, at=now)  # noqa: E731
        elif name == "IssueRejected":
            act = lambda c: c.issue_failed(side, message.state, at=now)  # noqa: E731
        elif name == "ReservationCancelled":
            act = lambda c: c.side_cancelled(side, message.permit_number, at=now)  # noqa: E731
        elif name == "ReservationExpired":
            act = lambda c: c.side_lapsed(side, message.permit_number, at=now)  # noqa: E731
        elif name == "Revoked":
            act = lambda c: c.side_revoked(side, message.permit_number, message.reason, at=now)  # noqa: E731
        else:
            return  # the assessed facts and the officer's record stay inside the permit service
        self.saga(act, delivery.id)

    # --- the applicant, the officer and the clock ---------------------------------------------

    def withdraw(self) -> None:
        self.saga(lambda c: c.withdraw(at=self.now), "withdraw")

    def officer(self, side: PermitSide, decision: Literal["approve", "refuse"]) -> None:
        today = local_date(self.now)
        self.saga(
            lambda c: c.officer_decided(
                side, decision, "officer-7", "checked", (), today=today,
                calendar=self.calendar, respond_days=20,
            ),
            "officer",
        )  # fmt: skip

    def supply(self) -> None:
        documents = (DocumentRef(kind="health", registry_id="hc-2"),)
        today = local_date(self.now)
        self.saga(
            lambda c: c.documents_supplied(documents, today=today, calendar=self.calendar),
            "supply",
        )

    def advance(self, delta: timedelta) -> None:
        """Time passes: lapsed reservations expire at their services, then the case's own
        timer fires if it is due (as the sweepers do, every few seconds)."""
        self.now += delta
        for side, permit in (("work", self.work), ("residence", self.residence)):
            events = permit.expire_reservation(self.now)
            self._answer(side, f"expiry:{side}:{self.now.isoformat()}", list(events))  # type: ignore[arg-type]
        self.saga(lambda c: c.timer_fired(now=self.now, calendar=self.calendar), "timer")

    def run(self, limit: int = 500) -> None:
        """Deliver every message in flight, channel by channel, until all are quiet."""
        for _ in range(limit):
            if not any(self.deliver(c) for c in ("identity", "work", "residence", "saga")):
                return
        raise AssertionError("messages kept flowing")

    def settle(self, *, officer: Literal["approve", "refuse"] = "approve") -> None:
        """Drive the case to its end as the world would: deliver, let officers decide,
        and let time pass (an hour at a time, then days) until the case is decided."""
        for hours in range(24 * 60):
            self.run()
            if not self.case.is_open:
                return
            if self.case.status == "awaiting_officer":
                for side in ("work", "residence"):
                    if (
                        self.case.side(side).status == "review"
                        and not self.case.side(side).assessing
                    ):
                        self.officer(side, officer)  # type: ignore[arg-type]
                continue
            self.advance(timedelta(hours=1 if hours < 48 else 24))
        raise AssertionError(f"the case never ended: {self.case.status}")

    # --- what must hold -------------------------------------------------------------------

    @property
    def valid_permits(self) -> int:
        return (self.work.state == "issued") + (self.residence.state == "issued")

    def decisions(self) -> list[Message]:
        decided = (app.ApplicationApproved, app.ApplicationRefused, app.ApplicationWithdrawn)
        return [n for n in self.notices if isinstance(n, decided)]


def _channel_of(message: Message) -> Channel:
    if isinstance(message, idm.IdentityCommand):
        return "identity"
    if isinstance(message, wpm.WorkPermitCommand):
        return "work"
    assert isinstance(message, rpm.ResidencePermitCommand)
    return "residence"
