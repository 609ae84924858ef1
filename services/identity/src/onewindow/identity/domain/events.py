"""The base of the identity service's stored domain events.

Stored events are this service's own history, separate from the integration
events on the bus (`onewindow.contracts.v1.identity`). `application.streams` reads
them back from the store; `application.verification` turns them into the events on the
bus, in one place.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DomainEvent(BaseModel):
    """Something that happened to one of the service's aggregates; frozen, past tense.

    Unknown fields are ignored, so a newer writer's additive change never breaks
    an older reader rebuilding state.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")
