"""The one place stored domain events become integration events on `work-permit.events`."""

from __future__ import annotations

from collections.abc import Sequence

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.v1 import work_permit as bus
from onewindow.runtime.eventstore import Outgoing, outgoing
from onewindow.work_permit.domain import events as domain
from onewindow.work_permit.domain.permit import WorkPermit

SOURCE = "onewindow/work-permit"


def integration_event(permit: WorkPermit, event: domain.DomainEvent) -> bus.WorkPermitEvent | None:
    """What the rest of the system hears of `event`, given the permit it produced;
    None for events that stay inside (the assessed facts, the officer's record)."""
    application_id = permit.application_id
    match event:
        case domain.Reserved():
            return bus.WorkPermitReserved(
                application_id=application_id,
                permit_number=event.permit_number,
                valid_until=event.valid_until,
                classification=event.classification,
                reserved_until=event.reserved_until,
            )
        case domain.Refused():
            return bus.WorkPermitRefused(
                application_id=application_id,
                reasons=event.reasons,
                classification=permit.classification,
            )
        case domain.ReviewRequired():
            return bus.WorkPermitReviewRequired(
                application_id=application_id,
                reasons=event.reasons,
                missing_documents=event.missing_documents,
                classification=permit.classification,
            )
        case domain.Issued():
            return bus.WorkPermitIssued(
                application_id=application_id,
                permit_number=event.permit_number,
                valid_until=event.valid_until,
                issued_at=event.issued_at,
            )
        case domain.IssueRejected():
            return bus.WorkPermitIssueRejected(application_id=application_id, state=event.state)
        case domain.ReservationCancelled():
            return bus.WorkPermitReservationCancelled(
                application_id=application_id,
                permit_number=event.permit_number,
                reason=event.reason,
            )
        case domain.Revoked():
            return bus.WorkPermitRevoked(
                application_id=application_id,
                permit_number=event.permit_number,
                reason=event.reason,
                legal_basis=event.legal_basis,
                revoked_at=event.revoked_at,
            )
        case domain.ReservationExpired():
            return bus.WorkPermitReservationExpired(
                application_id=application_id, permit_number=event.permit_number
            )
        case domain.Extended():
            return bus.WorkPermitExtended(
                extension_id=event.extension_id,
                application_id=application_id,
                permit_number=event.permit_number,
                previous_valid_until=event.previous_valid_until,
                valid_until=event.valid_until,
            )
        case domain.ExtensionReverted():
            return bus.WorkPermitExtensionReverted(
                extension_id=event.extension_id,
                application_id=application_id,
                permit_number=event.permit_number,
                valid_until=event.restored_valid_until,
                reason=event.reason,
            )
        case domain.ExtensionRefused():
            return bus.WorkPermitExtensionRefused(
                extension_id=event.extension_id,
                permit_number=event.permit_number,
                reasons=event.reasons,
            )
    return None


def outbox(
    permit: WorkPermit, events: Sequence[domain.DomainEvent], cause: Envelope
) -> list[Outgoing]:
    """The messages to publish for `events`, keyed by application id (by extension id for
    extensions, as the topic registry says), with ids derived from the cause."""
    found: list[Outgoing] = []
    for event in events:
        message = integration_event(permit, event)
        if message is None:
            continue
        extension_id = getattr(message, "extension_id", None)
        found.append(
            outgoing(
                message,
                key=extension_id or permit.application_id,
                correlation_id=cause.correlation_id,
                source=SOURCE,
                cause=cause,
            )
        )
    return found
