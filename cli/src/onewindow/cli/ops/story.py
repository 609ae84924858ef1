"""A case's whole story, gathered from the saga's store and every topic of the bus.

Pure assembly here (the causation tree, permits, deadline); `case.py` fetches and prints.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from onewindow.ops.decoding import Decoded, redact, short_name

PERMIT_EVENTS = {
    "WorkPermitReserved": ("work", "reserved"),
    "WorkPermitIssued": ("work", "issued"),
    "WorkPermitRefused": ("work", "refused"),
    "WorkPermitReservationCancelled": ("work", "cancelled"),
    "WorkPermitReservationExpired": ("work", "expired"),
    "WorkPermitExtended": ("work", "extended"),
    "ResidencePermitReserved": ("residence", "reserved"),
    "ResidencePermitIssued": ("residence", "issued"),
    "ResidencePermitRefused": ("residence", "refused"),
    "ResidencePermitReservationCancelled": ("residence", "cancelled"),
    "ResidencePermitReservationExpired": ("residence", "expired"),
    "ResidencePermitExtended": ("residence", "extended"),
}


@dataclass
class Node:
    """One message of the case (by `ce_id`), with every copy of it seen on the bus."""

    message: Decoded
    copies: list[Decoded] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    @property
    def dead_letters(self) -> list[Decoded]:
        return [copy for copy in self.copies if copy.dead_letter]

    @property
    def deliveries(self) -> int:
        """How often it was written to its own topic (more than once: replayed)."""
        return sum(1 for copy in self.copies if not copy.dead_letter)

    def as_json(self, *, show_personal_data: bool = False) -> dict[str, Any]:
        found = self.message.as_json(show_personal_data=show_personal_data)
        found["deliveries"] = self.deliveries
        found["dead_letters"] = [
            {
                "topic": copy.topic_name,
                "partition": copy.partition,
                "offset": copy.offset,
                "error": copy.headers.get("x-dlq-error"),
                "group": copy.headers.get("x-dlq-group"),
            }
            for copy in self.dead_letters
        ]
        found["children"] = [
            child.as_json(show_personal_data=show_personal_data) for child in self.children
        ]
        return found


def _order(message: Decoded) -> tuple[Any, ...]:
    return (message.timestamp, message.topic, message.partition, message.offset)


def causation_tree(messages: list[Decoded]) -> list[Node]:
    """The messages as a forest: each under the message that caused it, in time order.

    Copies of one message (a dead letter, a replay) are one node. A message whose cause
    is not among them (the command that opened the case) is a root.
    """
    nodes: dict[str, Node] = {}
    for message in sorted(messages, key=_order):
        node = nodes.get(message.id)
        if node is None:
            nodes[message.id] = Node(message, [message])
            continue
        node.copies.append(message)
        if node.message.dead_letter and not message.dead_letter:
            node.message = message  # show the record on its own topic
    roots: list[Node] = []
    for node in nodes.values():
        cause = node.message.causation_id
        parent = nodes.get(cause) if cause else None
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: _order(child.message))
    roots.sort(key=lambda root: _order(root.message))
    return roots


@dataclass(frozen=True)
class PermitStep:
    side: str
    what: str
    number: str | None
    valid_until: str | None
    reserved_until: str | None
    at: str
    reasons: str


def permit_steps(messages: list[Decoded]) -> list[PermitStep]:
    """Reservations, issues, cancellations and expiries of both permits, in order."""
    seen: set[str] = set()
    steps: list[PermitStep] = []
    for message in sorted(messages, key=_order):
        name = short_name(message.ce_type)
        if name not in PERMIT_EVENTS or message.id in seen or not isinstance(message.data, dict):
            continue
        seen.add(message.id)
        side, what = PERMIT_EVENTS[name]
        data = message.data
        reasons = data.get("reasons") or ([{"code": data["reason"]}] if data.get("reason") else [])
        steps.append(
            PermitStep(
                side=side,
                what=what,
                number=data.get("permit_number"),
                valid_until=data.get("valid_until"),
                reserved_until=data.get("reserved_until"),
                at=message.timestamp.isoformat(timespec="seconds"),
                reasons=",".join(str(r.get("code")) for r in reasons if isinstance(r, dict)),
            )
        )
    return steps


def latest_deadline(messages: list[Decoded]) -> dict[str, Any] | None:
    """The deadline as the case's last status change stated it."""
    deadline = None
    for message in sorted(messages, key=_order):
        if short_name(message.ce_type) in ("ApplicationStatusChanged", "ApplicationReceived"):
            data = message.data if isinstance(message.data, dict) else {}
            deadline = data.get("deadline") or deadline
    return deadline if isinstance(deadline, dict) else None


def saga_events(commits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The saga stream's events, one entry each with its commit's version and time."""
    return [
        {
            "version": commit["version"],
            "type": event.get("type"),
            "recorded_at": commit.get("recorded_at"),
            "data": redact(event.get("data")),
        }
        for commit in commits
        for event in commit.get("events", [])
    ]


def count_messages(roots: list[Node]) -> int:
    """How many messages a forest holds (copies counted once)."""
    counts: dict[str, int] = defaultdict(int)

    def walk(node: Node) -> None:
        counts[node.message.id] += 1
        for child in node.children:
            walk(child)

    for root in roots:
        walk(root)
    return len(counts)
