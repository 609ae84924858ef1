"""What a run counts: every request sent, by operation, caller, phase and status, and
every check that failed (with a curl line to replay it)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

# Failures kept in full per (operation, check, status); the rest are only counted.
KEEP_PER_KIND = 3


@dataclass
class Tally:
    """Counts of one run, filled as requests come back."""

    requests: int = 0
    by_operation: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_caller: Counter[str] = field(default_factory=Counter)
    by_phase: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    sequences: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    failure_counts: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)
    _kinds: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def request(self, operation: str, caller: str, phase: str, status: int) -> None:
        self.requests += 1
        self.by_operation[operation][str(status)] += 1
        self.by_caller[caller] += 1
        self.by_phase[phase] += 1
        self.statuses[str(status)] += 1

    def failure(
        self,
        *,
        operation: str,
        caller: str,
        phase: str,
        status: int,
        check: str,
        title: str,
        message: str,
        curl: str,
    ) -> None:
        self.failure_counts[check] += 1
        kind = (operation, check, status)
        self._kinds[kind] += 1
        if self._kinds[kind] <= KEEP_PER_KIND:
            self.failures.append(
                {
                    "operation": operation,
                    "caller": caller,
                    "phase": phase,
                    "status": status,
                    "check": check,
                    "title": title,
                    "message": message[:2000],
                    "curl": curl[:4000],
                }
            )

    def error(self, operation: str, caller: str, phase: str, what: str) -> None:
        """A request that got no response (a timeout, a dropped connection)."""
        self.errors.append(
            {"operation": operation, "caller": caller, "phase": phase, "error": what[:1000]}
        )

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("5"))

    @property
    def schema_failures(self) -> int:
        """Responses whose status, media type, headers or body the OpenAPI does not allow."""
        return sum(n for check, n in self.failure_counts.items() if check != "not_a_server_error")

    def progress(self) -> str:
        """One line of where the run stands."""
        seconds = time.monotonic() - self.began
        return (
            f"{self.requests} requests in {seconds:.0f} s, {self.server_errors} 5xx, "
            f"{self.schema_failures} schema failures, {len(self.errors)} transport errors"
        )

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "operations": len(self.by_operation),
            "responses_5xx": self.server_errors,
            "schema_failures": self.schema_failures,
            "failed_checks": dict(sorted(self.failure_counts.items())),
            "transport_errors": len(self.errors),
            "statuses": dict(sorted(self.statuses.items())),
            "by_phase": dict(sorted(self.by_phase.items())),
            "stateful_sequences": dict(sorted(self.sequences.items())),
            "by_caller": dict(sorted(self.by_caller.items())),
            "by_operation": {
                op: {"requests": sum(c.values()), "statuses": dict(sorted(c.items()))}
                for op, c in sorted(self.by_operation.items())
            },
        }
