"""The one place stored domain events become integration events on `residence-permit.events`."""

from __future__ import annotations

from collections.abc import Sequence

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.v1 import residence_permit as bus
from onewindow.residence_permit.domain import events as domain
from onewindow.residence_permit.domain.permit import ResidencePermit
from onewindow.runtime.eventstore import Outgoing, outgoing

SOURCE = "onewindow/residence-permit"


def integration_event(
    permit: ResidencePermit, event: domain.DomainEvent
) -> bus.ResidencePermitEvent | None:
    """What the rest of the system hears of `event`; None for events that stay inside."""
    application_id = permit.application_id
    match event:
        case domain.Reserved():
            return bus.ResidencePermitReserved(
                application_id=application_id,
                permit_number=event.permit_number,
                reserved_until=event.reserved_until,
            )
        case domain.Refused():
            return bus.ResidencePermitRefused(application_id=application_id, reasons=event.reasons)
        case domain.ReviewRequired():
            return bus.ResidencePermitReviewRequired(
                application_id=application_id,
                reasons=event.reasons,
                missing_documents=event.missing_documents,
            )
        case domain.Issued():
            return bus.ResidencePermitIssued(
                application_id=application_id,
                permit_number=event.permit_number,
                valid_until=event.valid_until,
                issued_at=event.issued_at,
            )
        case domain.IssueRejected():
            return bus.ResidencePermitIssueRejected(
                application_id=application_id, state=event.state
            )
        case domain.ReservationCancelled():
            return bus.ResidencePermitReservationCancelled(
                application_id=application_id,
                permit_number=event.permit_number,
                reason=event.reason,
            )
        case domain.Revoked():
            return bus.ResidencePermitRevoked(
                application_id=application_id,
                permit_number=event.permit_number,
                reason=event.reason,
                legal_basis=event.legal_basis,
                revoked_at=event.revoked_at,
            )
        case domain.ReservationExpired():
            return bus.ResidencePermitReservationExpired(
                application_id=application_id, permit_number=event.permit_number
            )
        case domain.Extended():
            return bus.ResidencePermitExtended(
                extension_id=event.extension_id,
                application_id=application_id,
                permit_number=event.permit_number,
                previous_valid_until=event.previous_valid_until,
                valid_until=event.valid_until,
            )
        case domain.ExtensionRefused():
            return bus.ResidencePermitExtensionRefused(
                extension_id=event.extension_id,
                application_id=application_id,
                reasons=event.reasons,
            )
    return None


def outbox(
    permit: ResidencePermit, events: Sequence[domain.DomainEvent], cause: Envelope
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
