"""How a delivery ended, as recorded in the service's event store.

The outcome and the `NotificationSent`/`NotificationFailed` it announces are
written in one commit (stream `delivery-<id>`, version 1), so the announcement
cannot be lost, and a second claimant that finds the commit knows the delivery is
over without sending again.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from onewindow.runtime.event_types import EventTypes


class DeliveryOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    delivery_id: str
    at: datetime
    attempts: int


class DeliverySucceeded(DeliveryOutcome):
    """The channel took the message."""


class DeliveryAbandoned(DeliveryOutcome):
    """The channel refused the message for good, or it could not be delivered in time."""

    error: str


# The outcomes under their stable stored names (`notifications.<Event>.v<n>`).
OUTCOMES: EventTypes[DeliveryOutcome] = EventTypes("notifications")
OUTCOMES.add_all((DeliverySucceeded, DeliveryAbandoned))


def outcome_stream(delivery_id: str) -> str:
    """The event-store stream that holds a delivery's outcome."""
    return f"delivery-{delivery_id}"
