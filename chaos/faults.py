"""Fault injection for the chaos runs, off unless a service is started through it:

    python -m chaos.faults onewindow.work_permit

runs the service module as `python -m` would, with every subscriber's handler wrapped:

- with the probability written in the file `ONEWINDOW_FAULT_FILE` (re-read every second;
  missing or 0: no fault), a handler call fails on purpose, half of them before the
  handler runs (nothing committed), half after it returned (its commit durable), as a
  crash on either side of the commit would;
- a message whose correlation id starts with `poison-` fails every time: a poison message,
  which the subscriber must dead-letter after its attempts while its partition moves on.

Each injected failure is logged as `fault injected` with `when` = before or after, so the
run counts them from the logs.
"""

from __future__ import annotations

import logging
import random
import runpy
import sys
import time
from pathlib import Path
from typing import Any

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.runtime import subscriber

ENV = "ONEWINDOW_FAULT_FILE"
POISON_PREFIX = "poison-"
REREAD_S = 1.0
log = logging.getLogger("chaos.faults")


class InjectedFault(RuntimeError):
    """A failure the chaos run asked for."""


class FaultRate:
    """The probability in a file, re-read at most every `REREAD_S`."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        self.value = 0.0
        self.read_at = 0.0

    def __call__(self) -> float:
        now = time.monotonic()
        if self.path is not None and now - self.read_at >= REREAD_S:
            self.read_at = now
            try:
                self.value = float(self.path.read_text().strip() or 0)
            except (FileNotFoundError, ValueError):
                self.value = 0.0
        return self.value


def faulty(
    handler: subscriber.Handler, rate: FaultRate, chance: random.Random
) -> subscriber.Handler:
    """`handler`, failing on purpose as the module's docstring says."""

    async def call(message: Message, envelope: Envelope) -> None:
        if (envelope.correlation_id or "").startswith(POISON_PREFIX):
            raise InjectedFault("poison message: fails every time")
        if chance.random() >= rate():
            await handler(message, envelope)
            return
        when = "before" if chance.random() < 0.5 else "after"
        if when == "after":
            await handler(message, envelope)
        log.warning("fault injected", extra={"when": when, "message_type": envelope.type})
        raise InjectedFault(f"injected failure {when} the commit")

    return call


def install(path: str | None, seed: int | None = None) -> None:
    """Wrap the handler of every `subscribe` made from now on."""
    original = subscriber.subscribe
    rate, chance = FaultRate(path), random.Random(seed)

    def subscribe(broker: Any, **kwargs: Any) -> None:
        kwargs["handler"] = faulty(kwargs["handler"], rate, chance)
        original(broker, **kwargs)

    subscriber.subscribe = subscribe


def main() -> None:
    import os

    module = sys.argv[1]
    install(os.environ.get(ENV))
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
