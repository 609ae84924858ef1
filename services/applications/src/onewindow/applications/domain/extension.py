"""An online extension: the work permit first, then the residence permit with it.

Both or neither: the residence permit is only extended once the work permit is,
and its new validity follows the work permit's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from onewindow.applications.domain.case import Step
from onewindow.contracts.v1 import residence_permit, work_permit
from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import PermitGrant, Reason
from onewindow.runtime.clock import local_date


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


class ExtensionClosed(ExtensionEvent):
    outcome: Literal["approved", "refused"]
    at: datetime
    reasons: tuple[Reason, ...] = ()


EXTENSION_EVENTS: dict[str, type[ExtensionEvent]] = {
    c.__name__: c for c in (ExtensionRequested, WorkExtended, ResidenceExtended, ExtensionClosed)
}


@dataclass
class Extension:
    request: ExtensionRequested | None = None
    work: PermitGrant | None = None
    residence: PermitGrant | None = None
    closed: ExtensionClosed | None = None
    history: list[ExtensionEvent] = field(default_factory=list)

    @classmethod
    def replay(cls, events: list[ExtensionEvent]) -> Extension:
        extension = cls()
        for event in events:
            extension.apply(event)
        return extension

    def apply(self, event: ExtensionEvent) -> None:
        self.history.append(event)
        match event:
            case ExtensionRequested():
                self.request = event
            case WorkExtended():
                self.work = PermitGrant(number=event.number, valid_until=event.valid_until)
            case ResidenceExtended():
                self.residence = PermitGrant(number=event.number, valid_until=event.valid_until)
            case ExtensionClosed():
                self.closed = event

    def _record(self, step: Step, event: ExtensionEvent) -> None:
        self.apply(event)
        step.events.append(event)

    def start(self, requested: ExtensionRequested) -> Step:
        step = Step()
        if self.request is not None:
            return step
        self._record(step, requested)
        if requested.application_id is None:
            reason = Reason(
                code="document_not_found",
                side="work",
                detail=f"no permit numbered {requested.work_permit_number}",
            )
            self._record(
                step,
                ExtensionClosed(outcome="refused", at=requested.requested_at, reasons=(reason,)),
            )
            return step
        step.send.append(
            (
                work_permit.ExtendWorkPermit(
                    extension_id=requested.extension_id,
                    permit_number=requested.work_permit_number,
                    contract_end=requested.contract_end,
                    requested_on=local_date(requested.requested_at),
                ),
                "extend-work",
            )
        )
        return step

    def work_extended(self, number: str, valid_until: date) -> Step:
        step = Step()
        if self.work is not None or self.request is None or self.request.application_id is None:
            return step
        self._record(step, WorkExtended(number=number, valid_until=valid_until))
        step.send.append(
            (
                residence_permit.ExtendResidencePermit(
                    extension_id=self.request.extension_id,
                    application_id=self.request.application_id,
                    work_permit_valid_until=valid_until,
                ),
                "extend-residence",
            )
        )
        return step

    def residence_extended(self, number: str, valid_until: date, *, at: datetime) -> Step:
        step = Step()
        if self.residence is not None or self.closed is not None:
            return step
        self._record(step, ResidenceExtended(number=number, valid_until=valid_until))
        self._record(step, ExtensionClosed(outcome="approved", at=at))
        return step

    def refused(self, reasons: tuple[Reason, ...], *, at: datetime) -> Step:
        step = Step()
        if self.closed is not None:
            return step
        self._record(step, ExtensionClosed(outcome="refused", at=at, reasons=reasons))
        return step
