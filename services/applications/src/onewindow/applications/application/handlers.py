"""Use cases of the applications service: load the saga, decide, append — idempotently.

Every message is handled in the stream of its case (or extension), with the message's
id recorded in the same commit, so a redelivery changes nothing; the commands a step
sends get ids derived from the message that caused them, so a replay re-sends the
same commands and the receivers ignore the repeats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from onewindow.applications.adapters.case_index import CaseIndex
from onewindow.applications.application.mapping import integration_events
from onewindow.applications.domain import events as ev
from onewindow.applications.domain.case import Case, Step
from onewindow.applications.domain.extension import (
    EXTENSION_EVENTS,
    Extension,
    ExtensionRequested,
)
from onewindow.applications.domain.policy import policy_on
from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.message import Command, Message
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1 import identity as idm
from onewindow.contracts.v1 import residence_permit as rp
from onewindow.contracts.v1 import work_permit as wp
from onewindow.contracts.v1.common import PermitSide
from onewindow.runtime.calendar import WorkingCalendar
from onewindow.runtime.clock import Clock, local_today
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
        self, application_id: str, envelope: Envelope, act: Callable[[Case], Step]
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
            return Decision(
                events=step.events, outbox=self._outbox(application_id, envelope, sends)
            )

        handled = await handle(
            self.store, case_stream(application_id), envelope.id, load_case, decide
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
        policy = policy_on(today)
        days = policy.supplement_response_working_days
        match message:
            case app.SubmitApplication():
                due = self.calendar.add_working_days(today, policy.decision_due_working_days)
                await self.on_case(
                    message.application_id, envelope, lambda c: c.open(message, due_on=due)
                )
            case app.SupplyDocuments():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.documents_supplied(
                        message.documents,
                        today=today,
                        calendar=self.calendar,
                        registration_number=message.registration_number,
                    ),
                )
            case app.WithdrawApplication():
                await self.on_case(message.application_id, envelope, lambda c: c.withdraw(at=now))
            case app.RecordReview():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.officer_decided(
                        message.permit,
                        message.decision,
                        message.officer.sub,
                        message.reason,
                        message.documents,
                        today=today,
                        calendar=self.calendar,
                        respond_days=days,
                    ),
                )
            case idm.IdentityVerified():
                await self.on_case(
                    message.application_id, envelope, lambda c: c.identity_verified(message)
                )
            case idm.IdentityRejected():
                await self.on_case(
                    message.application_id, envelope, lambda c: c.identity_rejected(message, at=now)
                )
            case wp.WorkPermitReserved():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_reserved(
                        "work",
                        message.permit_number,
                        message.valid_until,
                        classification=message.classification,
                        at=now,
                    ),
                )
            case rp.ResidencePermitReserved():
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_reserved(
                        "residence", message.permit_number, None, classification=None, at=now
                    ),
                )
            case wp.WorkPermitRefused() | rp.ResidencePermitRefused():
                side: PermitSide = (
                    "work" if isinstance(message, wp.WorkPermitRefused) else "residence"
                )
                classification = getattr(message, "classification", None)
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_refused(
                        side, message.reasons, classification=classification, at=now
                    ),
                )
            case wp.WorkPermitReviewRequired() | rp.ResidencePermitReviewRequired():
                side = "work" if isinstance(message, wp.WorkPermitReviewRequired) else "residence"
                classification = getattr(message, "classification", None)
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_needs_review(
                        side,
                        message.reasons,
                        message.missing_documents,
                        classification=classification,
                        today=today,
                        calendar=self.calendar,
                        respond_days=days,
                    ),
                )
            case wp.WorkPermitIssued() | rp.ResidencePermitIssued():
                side = "work" if isinstance(message, wp.WorkPermitIssued) else "residence"
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_issued(
                        side, message.permit_number, message.valid_until, at=now
                    ),
                )
            case wp.WorkPermitReservationCancelled() | rp.ResidencePermitReservationCancelled():
                side = (
                    "work"
                    if isinstance(message, wp.WorkPermitReservationCancelled)
                    else "residence"
                )
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_cancelled(side, message.permit_number, at=now),
                )
            case wp.WorkPermitIssueRejected() | rp.ResidencePermitIssueRejected():
                side = "work" if isinstance(message, wp.WorkPermitIssueRejected) else "residence"
                log.warning(
                    "a permit could not be issued",
                    extra={
                        "application_id": message.application_id,
                        "side": side,
                        "state": message.state,
                    },
                )
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.issue_failed(side, message.state, at=now),
                )
            case wp.WorkPermitReservationExpired() | rp.ResidencePermitReservationExpired():
                side = (
                    "work" if isinstance(message, wp.WorkPermitReservationExpired) else "residence"
                )
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_lapsed(side, message.permit_number, at=now),
                )
            case wp.WorkPermitRevoked() | rp.ResidencePermitRevoked():
                side = "work" if isinstance(message, wp.WorkPermitRevoked) else "residence"
                await self.on_case(
                    message.application_id,
                    envelope,
                    lambda c: c.side_revoked(side, message.permit_number, message.reason, at=now),
                )
            case app.RequestExtension():
                await self._start_extension(message, envelope)
            case wp.WorkPermitExtended():
                await self._on_extension(
                    message.extension_id,
                    envelope,
                    lambda x: x.work_extended(message.permit_number, message.valid_until),
                )
            case rp.ResidencePermitExtended():
                await self._on_extension(
                    message.extension_id,
                    envelope,
                    lambda x: x.residence_extended(
                        message.permit_number, message.valid_until, at=now
                    ),
                )
            case wp.WorkPermitExtensionReverted():
                await self._on_extension(
                    message.extension_id,
                    envelope,
                    lambda x: x.work_reverted(message.valid_until, at=now),
                )
            case wp.WorkPermitExtensionRefused() | rp.ResidencePermitExtensionRefused():
                await self._on_extension(
                    message.extension_id, envelope, lambda x: x.refused(message.reasons, at=now)
                )
            case _:
                pass  # other events on the topics this service reads are not its business

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
        self, extension_id: str, envelope: Envelope, act: Callable[[Extension], Step]
    ) -> None:
        def decide(extension: Extension) -> Decision:
            extension.now = self.clock.now()
            step = act(extension)
            sends = list(step.send)
            closed = next((e for e in step.events if type(e).__name__ == "ExtensionClosed"), None)
            if closed is not None and extension.request is not None:
                sends.append((_extension_decided(extension), "decided"))
            return Decision(events=step.events, outbox=self._outbox(extension_id, envelope, sends))

        stream = extension_stream(extension_id)
        handled = await handle(self.store, stream, envelope.id, load_extension, decide)
        await self.index.index_extension(extension_id, handled.state)


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
