"""The topic registry: every topic on the bus, its key, and who writes and reads it.

Provisioning (`onewindow stack topics`), the services and the tests all read this
one table, so a topic exists exactly when it is declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"
DEFAULT_PARTITIONS = 6


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic of the bus; its dead-letter twin is `<name>.dlq`."""

    name: str
    key: str
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    partitions: int = DEFAULT_PARTITIONS

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


APPLICATIONS_COMMANDS = Topic(
    "applications.commands", "application id", ("gateway",), ("applications",)
)
APPLICATIONS_EVENTS = Topic(
    "applications.events",
    "application id",
    ("applications",),
    ("gateway", "notifications"),
)
IDENTITY_COMMANDS = Topic("identity.commands", "application id", ("applications",), ("identity",))
IDENTITY_EVENTS = Topic(
    "identity.events", "application id", ("identity",), ("applications", "gateway")
)
WORK_PERMIT_COMMANDS = Topic(
    "work-permit.commands",
    "application id, or extension id",
    ("applications",),
    ("work-permit",),
)
WORK_PERMIT_EVENTS = Topic(
    "work-permit.events",
    "application id, or extension id",
    ("work-permit",),
    ("applications", "gateway"),
)
RESIDENCE_PERMIT_COMMANDS = Topic(
    "residence-permit.commands",
    "application id, or extension id",
    ("applications",),
    ("residence-permit",),
)
RESIDENCE_PERMIT_EVENTS = Topic(
    "residence-permit.events",
    "application id, or extension id",
    ("residence-permit",),
    ("applications", "gateway"),
)
NOTIFICATIONS_EVENTS = Topic(
    "notifications.events", "application id", ("notifications",), ("gateway",)
)

REGISTRY: tuple[Topic, ...] = (
    APPLICATIONS_COMMANDS,
    APPLICATIONS_EVENTS,
    IDENTITY_COMMANDS,
    IDENTITY_EVENTS,
    WORK_PERMIT_COMMANDS,
    WORK_PERMIT_EVENTS,
    RESIDENCE_PERMIT_COMMANDS,
    RESIDENCE_PERMIT_EVENTS,
    NOTIFICATIONS_EVENTS,
)


def all_topic_names() -> list[str]:
    """Every topic and its dead-letter twin, in registry order."""
    names: list[str] = []
    for topic in REGISTRY:
        names += [topic.name, topic.dlq]
    return names
