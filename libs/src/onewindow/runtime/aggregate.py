"""The one aggregate convention of every event-sourced service here.

- An aggregate is rebuilt from its stream by the class method `replay(...)`.
- `apply(event)` is the only place its state changes.
- A decision is a method that **records** each event it decides, the moment it decides
  it (`record`: applied at once, and kept for the commit), and returns what it decided.
  The rest of the decision, the caller that commits it and a test all see the aggregate
  as the commit leaves it, with no second pass over the events. A decision that works out
  all its events before any of them matters (the permits') is written as a function
  returning them and marked `@decision`, which records them as it returns.

`Recorded` is what a decision returns when it is more than its events: for a process
manager such as the saga, also the commands it sends (each with the discriminator that
makes its message id).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from pydantic import BaseModel

E = TypeVar("E", bound=BaseModel)
C = TypeVar("C", bound=BaseModel)
P = ParamSpec("P")
A = TypeVar("A", bound="Aggregate[Any]")


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


def decision(
    decide: Callable[Concatenate[A, P], list[E]],
) -> Callable[Concatenate[A, P], list[E]]:
    """Mark a method that returns the events it decided: they are recorded (applied to
    the aggregate) before the caller gets them. Nothing is applied when it raises."""

    @functools.wraps(decide)
    def recorded(aggregate: A, /, *args: P.args, **kwargs: P.kwargs) -> list[E]:
        return aggregate.record(*decide(aggregate, *args, **kwargs))

    return recorded
