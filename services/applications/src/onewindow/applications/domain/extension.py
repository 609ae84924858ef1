"""An online extension: the work permit first, then the residence permit with it.

Both or neither: the residence permit is only extended once the work permit is, and
its new validity follows the work permit's; if the residence permit cannot follow, the
work permit's extension is undone before the extension is refused. Like a case, an
extension waiting on a service has a timer: the unanswered command again every hour
(under its first id), operators told after 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from onewindow.applications.domain.case import ESCALATE_AFTER, RESEND_AFTER, Timer
from onewindow.contracts.message import Message
from onewindow.contracts.v1 import residence_permit, work_permit
from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import PermitGrant, Reason
from onewindow.runtime.aggregate import Aggregate, Recorded
from onewindow.runtime.clock import local_date
from onewindow.runtime.event_types import EventTypes


class ExtensionEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ExtensionRequested(ExtensionEvent):
    extension_id: str
    application_id: str | None
    work_permit_number: str
    contract_end: date
    requested_by: Actor
    requested_at: datetime


class WorkExtended(ExtensionEvent):
    number: str
    valid_until: date


class ResidenceExtended(ExtensionEvent):
    number: str
    valid_until: date


class WorkRevertRequested(ExtensionEvent):
    """The residence permit could not follow: the work permit's extension is undone."""

    reasons: tuple[Reason, ...]


class WorkReverted(ExtensionEvent):
    valid_until: date


class ExtensionResent(ExtensionEvent):
    at: datetime
    commands: tuple[str, ...]


class ExtensionEscalated(ExtensionEvent):
    at: datetime


class ExtensionClosed(ExtensionEvent):
    outcome: Literal["approved", "refused"]
    at: datetime
    reasons: tuple[Reason, ...] = ()


# Every stored extension event under its stable name (`applications.<Event>.v<n>`).
EXTENSION_EVENTS: EventTypes[ExtensionEvent] = EventTypes("applications")
EXTENSION_EVENTS.add_all(
    (
        ExtensionRequested,
        WorkExtended,
        ResidenceExtended,
        WorkRevertRequested,
        WorkReverted,
        ExtensionResent,
        ExtensionEscalated,
        ExtensionClosed,
    )
)
_TIMER_EVENTS = (ExtensionResent, ExtensionEscalated)
# What one decision of an extension recorded: stored events, and commands to send.
ExtensionStep = Recorded[ExtensionEvent, Message]


@dataclass
class Extension(Aggregate[ExtensionEvent]):
    request: ExtensionRequested | None = None
    work: PermitGrant | None = None
    residence: PermitGrant | None = None
    closed: ExtensionClosed | None = None
    reverting: WorkRevertRequested | None = None
    history: list[ExtensionEvent] = field(default_factory=list)
    # The timers' bookkeeping, as for a case: when it last moved, and what timers did since.
    now: datetime | None = None
    moved_at: datetime | None = None
    resends: int = 0
    escalations: int = 0

    @classmethod
    def replay(
        cls, events: list[ExtensionEvent], recorded: list[datetime] | None = None
    ) -> Extension:
        extension = cls()
        for i, event in enumerate(events):
            extension.apply(event, at=recorded[i] if recorded is not None else None)
        return extension

    def apply(self, event: ExtensionEvent, at: datetime | None = None) -> None:
        if at is not None:
            self.now = at
        self.history.append(event)
        if not isinstance(event, _TIMER_EVENTS):
            self.moved_at = self.now or self.moved_at
            self.resends = self.escalations = 0
        match event:
            case ExtensionRequested():
                self.request = event
            case WorkExtended():
                self.work = PermitGrant(number=event.number, valid_until=event.valid_until)
            case ResidenceExtended():
                self.residence = PermitGrant(number=event.number, valid_until=event.valid_until)
            case WorkRevertRequested():
                self.reverting = event
            case WorkReverted():
                self.work = None
            case ExtensionResent():
                self.resends += 1
            case ExtensionEscalated():
                self.escalations += 1
            case ExtensionClosed():
                self.closed = event

    def start(self, requested: ExtensionRequested) -> ExtensionStep:
        step = ExtensionStep()
        if self.request is not None:
            return step
        self.now = self.now or requested.requested_at
        self.record(requested, into=step)
        if requested.application_id is None:
            reason = Reason(
                code="document_not_found",
                side="work",
                detail=f"no permit numbered {requested.work_permit_number}",
            )
            self.record(
                ExtensionClosed(outcome="refused", at=requested.requested_at, reasons=(reason,)),
                into=step,
            )
            return step
        step.send.append(self._extend_work())
        return step

    def _extend_work(self) -> tuple[Message, str]:
        assert self.request is not None
        return (
            work_permit.ExtendWorkPermit(
                extension_id=self.request.extension_id,
                permit_number=self.request.work_permit_number,
                contract_end=self.request.contract_end,
                requested_on=local_date(self.request.requested_at),
            ),
            "extend-work",
        )

    def _extend_residence(self) -> tuple[Message, str]:
        assert self.request is not None
        assert self.request.application_id is not None
        assert self.work is not None
        return (
            residence_permit.ExtendResidencePermit(
                extension_id=self.request.extension_id,
                application_id=self.request.application_id,
                work_permit_valid_until=self.work.valid_until,
            ),
            "extend-residence",
        )

    def _revert_work(self) -> tuple[Message, str]:
        assert self.request is not None
        return (
            work_permit.RevertWorkPermitExtension(
                extension_id=self.request.extension_id,
                permit_number=self.request.work_permit_number,
                reason="counterpart_refused",
            ),
            "revert-work",
        )

    def work_extended(self, number: str, valid_until: date) -> ExtensionStep:
        step = ExtensionStep()
        if self.work is not None or self.request is None or self.request.application_id is None:
            return step
        self.record(WorkExtended(number=number, valid_until=valid_until), into=step)
        step.send.append(self._extend_residence())
        return step

    def residence_extended(self, number: str, valid_until: date, *, at: datetime) -> ExtensionStep:
        step = ExtensionStep()
        if self.residence is not None or self.closed is not None:
            return step
        self.record(ResidenceExtended(number=number, valid_until=valid_until), into=step)
        self.record(ExtensionClosed(outcome="approved", at=at), into=step)
        return step

    def refused(self, reasons: tuple[Reason, ...], *, at: datetime) -> ExtensionStep:
        """A permit service refused. If the work permit was already extended, its
        extension is undone first (both or neither); then the extension is refused."""
        step = ExtensionStep()
        if self.closed is not None or self.reverting is not None:
            return step
        if self.work is not None:
            self.record(WorkRevertRequested(reasons=reasons), into=step)
            step.send.append(self._revert_work())
            return step
        self.record(ExtensionClosed(outcome="refused", at=at, reasons=reasons), into=step)
        return step

    def work_reverted(self, valid_until: date, *, at: datetime) -> ExtensionStep:
        step = ExtensionStep()
        if self.closed is not None or self.reverting is None:
            return step
        self.record(WorkReverted(valid_until=valid_until), into=step)
        self.record(
            ExtensionClosed(outcome="refused", at=at, reasons=self.reverting.reasons), into=step
        )
        return step

    # --- timers ---------------------------------------------------------------------------

    def outstanding(self) -> list[tuple[Message, str]]:
        """The command sent and not yet answered (rebuilt under its first discriminator)."""
        if self.closed is not None or self.request is None:
            return []
        if self.reverting is not None:
            return [self._revert_work()]
        if self.work is None:
            return [self._extend_work()]
        return [self._extend_residence()]

    def next_timer(self) -> Timer | None:
        if self.closed is not None or self.moved_at is None:
            return None
        resend = self.moved_at + RESEND_AFTER * (self.resends + 1)
        escalate = self.moved_at + ESCALATE_AFTER
        if self.escalations == 0 and escalate <= resend:
            return Timer(escalate, "escalate")
        return Timer(resend, "resend")

    def timer_fired(self, *, now: datetime) -> ExtensionStep:
        step = ExtensionStep()
        timer = self.next_timer()
        if timer is None or timer.due > now:
            return step
        self.now = now
        if timer.action == "escalate":
            self.record(ExtensionEscalated(at=now), into=step)
            return step
        outstanding = self.outstanding()
        self.record(ExtensionResent(at=now, commands=tuple(d for _, d in outstanding)), into=step)
        step.send.extend(outstanding)
        return step
