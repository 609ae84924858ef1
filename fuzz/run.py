"""Schemathesis against the gateway's own OpenAPI (`/openapi.json`), over HTTP.

Two phases, every response judged by the same checks (`CHECKS`):

- **Stateless**: every operation on its own, with requests generated from its schema,
  both requests that fit it (positive) and requests that break it (negative), as the
  role that may do it (`roles.acting_role`); and a few times as every other role and as
  callers without a valid token (none, or one signed with another key), so the
  authorisation matrix is fuzzed too.
- **Stateful**: sequences that follow the OpenAPI `links` (a submitted case read, its
  live status followed, withdrawn, supplied with documents, reviewed by an officer, its
  evidence read; an upload read back; an extension read; a registry record written, then
  read), each step as its operation's acting role. Half the submissions and registry
  writes are made to pass the door by the fuzzer (`seeds`), so sequences reach cases
  the services work on; the other half are schemathesis's own.

A failed check is counted and recorded, never raised: a run goes to its end and reports
every kind of failure it met, with a curl line to replay each.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fuzz import seeds
from fuzz.roles import CALLERS, Callers, acting_role
from fuzz.tally import Tally

# 0 responses 5xx, and every status, media type, documented header and body as the
# OpenAPI says.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# A request that takes longer is an error of the run (the gateway answers 503 after its
# publish timeout of 15 s); an event stream is read for its first event, then let go.
REQUEST_TIMEOUT_S = 30.0
MAX_STREAM_EVENTS = 1
# Stateful groups: operations whose sequences are run together. The registry's writes
# have path parameters (they are PUTs), so they open sequences only among themselves.
# Fresh starts of a group's sequences after Hypothesis found them not replayable.
RESTARTS = 20
GROUPS = {"cases": r"^/v1/(?!registry)", "registry": r"^/v1/registry/"}


@dataclass(frozen=True)
class Budget:
    """How many requests each part of a run may generate."""

    # Per operation, as its acting role: this many positive and as many negative.
    acting: int
    # Per operation and every other caller (roles and the token-less), positive only.
    others: int
    # Stateful: scenarios per group, and steps per scenario at most.
    scenarios: int
    steps: int
    # Other callers per operation, taken in turn (every one of them when None).
    other_callers: int | None = None


def load(gateway: str) -> Any:
    """The gateway's OpenAPI, as schemathesis reads it, with the run's settings."""
    config = schemathesis.Config.from_dict(
        {
            "request-timeout": REQUEST_TIMEOUT_S,
            "max-stream-events": MAX_STREAM_EVENTS,
            # Sequences follow the links the OpenAPI documents, none guessed, with requests
            # that fit the schema (the stateless phase breaks them).
            "phases": {
                "stateful": {"inference": {"algorithms": []}, "generation": {"mode": "positive"}}
            },
        }
    )
    return schemathesis.openapi.from_url(f"{gateway}/openapi.json", config=config)


class Fuzzer:
    """One run's schema, callers, tally and progress line."""

    def __init__(
        self,
        gateway: str,
        callers: Callers,
        tally: Tally,
        *,
        seed: int,
        say: Callable[[str], None] = print,
    ) -> None:
        self.gateway = gateway
        self.schema = load(gateway)
        self.callers = callers
        self.tally = tally
        self.seed = seed
        self.rng = random.Random(seed)
        self.say = say
        self.session = requests.Session()
        self._turn = 0  # the next other caller, when operations take them in turn

    def operations(self) -> list[APIOperation[Any, Any, Any, Any]]:
        return [result.ok() for result in self.schema.get_all_operations()]

    # -- one request -------------------------------------------------------------------

    def send(self, case: Case[Any], caller: str, phase: str) -> Any:
        """Send `case` as `caller`, judge the response, count it; the response, or None
        when none came (a timeout, a dropped connection: counted as a transport error)."""
        label = case.operation.label
        headers = self.callers[caller]
        if case.headers:
            # The caller's Authorization only: a generated one would stand in for it.
            case.headers.pop("Authorization", None)
        try:
            response = case.call(
                base_url=self.gateway,
                session=self.session,
                headers=headers,
                timeout=REQUEST_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            self.tally.error(label, caller, phase, f"{type(exc).__name__}: {exc}")
            return None
        self.tally.request(label, caller, phase, response.status_code)
        try:
            case.validate_response(
                response,
                checks=CHECKS,
                headers=headers,
                transport_kwargs={"base_url": self.gateway, "headers": headers},
            )
        except FailureGroup as group:
            curl = case.as_curl_command(headers=headers, base_url=self.gateway)
            for failure in group.exceptions:
                self.tally.failure(
                    operation=label,
                    caller=caller,
                    phase=phase,
                    status=response.status_code,
                    check=_check_of(failure),
                    title=str(failure.title),
                    message=failure.message,
                    curl=curl,
                )
        return response

    # -- stateless -----------------------------------------------------------------------

    def stateless(self, budget: Budget) -> None:
        operations = self.operations()
        for index, operation in enumerate(operations, 1):
            before = self.tally.requests
            acting = acting_role(operation.method.upper(), operation.path)
            self._examples(operation, acting, GenerationMode.POSITIVE, budget.acting)
            self._examples(operation, acting, GenerationMode.NEGATIVE, budget.acting)
            if operation.definition.raw.get("security"):
                for caller in self._others(acting, budget.other_callers):
                    self._examples(operation, caller, GenerationMode.POSITIVE, budget.others)
            self.say(
                f"  [{index}/{len(operations)}] {operation.label}: "
                f"{self.tally.requests - before} requests; {self.tally.progress()}"
            )

    def _others(self, acting: str, count: int | None) -> list[str]:
        """The callers besides `acting` this operation is sent by: all, or `count` of
        them in turn across operations."""
        others = [c for c in CALLERS if c != acting]
        if count is None or count >= len(others):
            return others
        chosen = [others[(self._turn + i) % len(others)] for i in range(count)]
        self._turn += count
        return chosen

    def _examples(
        self, operation: APIOperation[Any, Any, Any, Any], caller: str, mode: GenerationMode, n: int
    ) -> None:
        if n <= 0:
            return
        phase = f"stateless-{mode.value}"

        @hypothesis.seed(self.seed)
        @hypothesis.settings(
            max_examples=n,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Case[Any]) -> None:
            self.send(case, caller, phase)

        # Unsatisfiable: nothing to break in an operation without parameters or body.
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            run()

    # -- stateful ------------------------------------------------------------------------

    def stateful(self, budget: Budget) -> None:
        if budget.scenarios <= 0:
            return
        for group, paths in GROUPS.items():
            before = self.tally.requests
            ran = self._workflow(self.schema.include(path_regex=paths), budget)
            self.tally.sequences[group] += ran
            self.say(
                f"  stateful ({group}): {self.tally.requests - before} requests in "
                f"{ran} sequences; {self.tally.progress()}"
            )

    def _workflow(self, schema: Any, budget: Budget) -> int:
        """Run sequences of `schema`'s operations until `budget.scenarios` have run;
        how many did."""
        fuzzer = self
        ran = 0

        # The base is a class schemathesis builds at run time from the schema's links,
        # which mypy cannot see as a class.
        class Workflow(schema.as_state_machine()):  # type: ignore[misc]
            """The schema's state machine, each step as its acting role, judged and
            counted like a stateless request."""

            def step(self, input: StepInput) -> StepOutput:
                case = input.case
                seeds.seed(case, fuzzer.rng)
                caller = acting_role(case.operation.method.upper(), case.operation.path)
                response = fuzzer.send(case, caller, "stateful")
                if response is None:
                    hypothesis.reject()
                self.after_call(response, case)
                return StepOutput(response, case)

            def teardown(self) -> None:
                nonlocal ran
                ran += 1
                super().teardown()

        for _ in range(RESTARTS):
            left = budget.scenarios - ran
            if left <= 0:
                break
            try:
                Workflow.run(
                    settings=hypothesis.settings(
                        max_examples=left,
                        stateful_step_count=budget.steps,
                        deadline=None,
                        database=None,
                        phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck),
                        verbosity=Verbosity.quiet,
                    )
                )
            except hypothesis.errors.Flaky:
                # The sequences depend on what the system answered, which Hypothesis
                # cannot replay; go on with fresh ones, as schemathesis's own runner does.
                continue
            except hypothesis.errors.Unsatisfiable:
                break
        return ran


def _check_of(failure: Exception) -> str:
    checks = getattr(failure, "checks", ())
    return str(checks[0]) if checks else type(failure).__name__
