"""The one aggregate convention of every event-sourced service here.

- An aggregate is rebuilt from its stream by the class method `replay(...)`.
- `apply(event)` is the only place its state changes.
- A decision is a method that **records** each event it decides, the moment it decides
  it (`record`: applied at once, and kept for the commit), and returns what it decided.
  The rest of the decision, the caller that commits it and a test all see the aggregate
  as the commit leaves it, with no second pass over the events.

`Recorded` is what a decision returns when it is more than its events: for a process
manager such as the saga, also the commands it sends (each with the discriminator that
makes its message id).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

E = TypeVar("E", bound=BaseModel)
C = TypeVar("C", bound=BaseModel)


@dataclass
class Recorded(Generic[E, C]):
    """What one decision recorded: stored events `E`, and commands `C` with their
    discriminator."""

    events: list[E] = field(default_factory=list)
    send: list[tuple[C, str]] = field(default_factory=list)


class Aggregate(ABC, Generic[E]):
    """Base of an aggregate that follows the convention above."""

    @abstractmethod
    def apply(self, event: E) -> None:
        """Change state by one event; the only place state changes."""

    def record(self, *events: E, into: Recorded[E, Any] | None = None) -> list[E]:
        """Apply `events` in order and return them; with `into`, also keep them there."""
        for event in events:
            self.apply(event)
        if into is not None:
            into.events.extend(events)
        return list(events)
