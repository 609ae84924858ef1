"""Every message type of v1, and the topic each one travels on."""

from __future__ import annotations

from onewindow.contracts import topics
from onewindow.contracts.message import Message
from onewindow.contracts.v1 import (
    applications,
    identity,
    notifications,
    residence_permit,
    work_permit,
)

_BASES: dict[type[Message], topics.Topic] = {
    applications.ApplicationsCommand: topics.APPLICATIONS_COMMANDS,
    applications.ApplicationsEvent: topics.APPLICATIONS_EVENTS,
    identity.IdentityCommand: topics.IDENTITY_COMMANDS,
    identity.IdentityEvent: topics.IDENTITY_EVENTS,
    work_permit.WorkPermitCommand: topics.WORK_PERMIT_COMMANDS,
    work_permit.WorkPermitEvent: topics.WORK_PERMIT_EVENTS,
    residence_permit.ResidencePermitCommand: topics.RESIDENCE_PERMIT_COMMANDS,
    residence_permit.ResidencePermitEvent: topics.RESIDENCE_PERMIT_EVENTS,
    notifications.NotificationsEvent: topics.NOTIFICATIONS_EVENTS,
}


def _concrete(base: type[Message]) -> list[type[Message]]:
    found: list[type[Message]] = []
    for sub in base.__subclasses__():
        if "CONTEXT" not in sub.__dict__:
            found.append(sub)
        found += _concrete(sub)
    return found


MESSAGES: dict[str, type[Message]] = {cls.TYPE: cls for base in _BASES for cls in _concrete(base)}
TOPIC_OF: dict[str, topics.Topic] = {
    cls.TYPE: topic for base, topic in _BASES.items() for cls in _concrete(base)
}


class UnknownMessageType(LookupError):
    """A `ce_type` that no model of this version describes."""


def by_type(ce_type: str) -> type[Message]:
    """The model of a CloudEvents type, e.g. `onewindow.identity.VerifyIdentity.v1`."""
    try:
        return MESSAGES[ce_type]
    except KeyError:
        raise UnknownMessageType(ce_type) from None


def topic_of(message: Message | type[Message]) -> topics.Topic:
    """The registry topic a message is published on."""
    return TOPIC_OF[message.TYPE]
