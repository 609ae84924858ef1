"""`python -m fuzz` (`make fuzz`): schemathesis against the gateway's OpenAPI.

Starts the real gateway and every service as their own processes on the real Kafka and
database (a namespace of the run's own; `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URL`, else
the local stack), fuzzes every operation of `/openapi.json` statelessly and in stateful
sequences along its links, as every role with valid development tokens and as callers
without one, prints progress, and writes what it counted (requests per operation,
statuses, every failed check with a curl line to replay it) to
`fuzz/results/latest.json`. Every response must be no 5xx and as the OpenAPI says
(status, media type, documented headers, body); the exit status is 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import schemathesis

from fuzz.roles import mint
from fuzz.run import CHECKS, Budget, Fuzzer
from fuzz.tally import Tally
from onewindow.devstack.paths import git_commit, project_root

FULL = Budget(acting=15, others=2, scenarios=40, steps=10)
# `--quick` (the smoke in `make test`): about 150 requests.
QUICK = Budget(acting=1, others=1, scenarios=6, steps=6, other_callers=1)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fuzz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke of about 150 requests (what `make test` runs): one positive and one "
        "negative request per operation, one other caller each, 6 short sequences per group",
    )
    parser.add_argument(
        "--acting",
        type=int,
        help=f"requests per operation as its acting role, each of positive and negative "
        f"(default {FULL.acting})",
    )
    parser.add_argument(
        "--others",
        type=int,
        help=f"requests per operation as each other caller (default {FULL.others})",
    )
    parser.add_argument(
        "--sequences",
        type=int,
        help=f"stateful sequences per group (default {FULL.scenarios})",
    )
    parser.add_argument(
        "--steps", type=int, help=f"steps per sequence at most (default {FULL.steps})"
    )
    parser.add_argument("--seed", type=int, default=None, help="of the generated data")
    parser.add_argument(
        "--gateway",
        metavar="URL",
        help="fuzz this running gateway (e.g. `make run`'s http://127.0.0.1:8080, which then "
        "holds the run's cases) instead of starting a system of the run's own",
    )
    parser.add_argument(
        "--default-rates",
        action="store_true",
        help="start the gateway with its default rates, so many requests meet 429 "
        "(documented, so no failure); by default the run's gateway paces generously",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=project_root() / "fuzz/results/latest.json",
        help="where the figures go (default fuzz/results/latest.json)",
    )
    return parser.parse_args(argv)


def budget_from(args: argparse.Namespace) -> Budget:
    base = QUICK if args.quick else FULL
    return Budget(
        acting=base.acting if args.acting is None else args.acting,
        others=base.others if args.others is None else args.others,
        scenarios=base.scenarios if args.sequences is None else args.sequences,
        steps=base.steps if args.steps is None else args.steps,
        other_callers=base.other_callers,
    )


def say(text: str) -> None:
    print(text, flush=True)


@contextlib.contextmanager
def gateway_of(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """The gateway to fuzz, and the namespace its data lives in."""
    if args.gateway:
        yield args.gateway.rstrip("/"), "(the running gateway's)"
        return
    from fuzz.stack import running_system

    began = time.monotonic()
    say("starting the gateway and every service as their own processes …")
    with running_system(generous_rates=not args.default_rates) as services:
        namespace = services.infrastructure.namespace
        say(
            f"system ready in {time.monotonic() - began:.0f} s: gateway {services.gateway}, "
            f"Kafka {services.infrastructure.kafka_bootstrap}, "
            f"database {services.infrastructure.mongodb_url}, namespace {namespace}"
        )
        yield services.gateway, namespace


def print_summary(summary: dict[str, Any], failures: list[dict[str, Any]]) -> None:
    say("")
    say(f"{'operation':<64} {'requests':>8}  statuses")
    for label, row in summary["by_operation"].items():
        statuses = " ".join(f"{s}×{n}" for s, n in row["statuses"].items())
        say(f"{label:<64} {row['requests']:>8}  {statuses}")
    say("")
    say(
        f"{summary['requests']} requests to {summary['operations']} operations "
        f"({', '.join(f'{k} {v}' for k, v in summary['by_phase'].items())}); "
        f"statuses {summary['statuses']}"
    )
    say(
        f"5xx responses: {summary['responses_5xx']}; responses breaking the OpenAPI: "
        f"{summary['schema_failures']}; transport errors: {summary['transport_errors']}"
    )
    for failure in failures[:20]:
        say(
            f"  FAILED {failure['check']} on {failure['operation']} as {failure['caller']} "
            f"({failure['phase']}, {failure['status']}): {failure['message'][:300]}"
        )
        say(f"    {failure['curl'][:500]}")


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    budget = budget_from(args)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    began = time.monotonic()
    tally = Tally()
    say(
        f"fuzzing with schemathesis {schemathesis.__version__}, seed {seed}, checks "
        f"{', '.join(c.__name__ for c in CHECKS)}"
    )
    with gateway_of(args) as (gateway, namespace):
        ready_s = time.monotonic() - began
        tally.began = time.monotonic()
        fuzzer = Fuzzer(gateway, mint(), tally, seed=seed, say=say)
        operations = len(fuzzer.operations())
        say(f"stateless: {operations} operations of {gateway}/openapi.json")
        fuzzer.stateless(budget)
        say("stateful: sequences along the OpenAPI links")
        fuzzer.stateful(budget)
        fuzz_s = time.monotonic() - tally.began
        say("stopping the system …" if not args.gateway else "done")
    summary = tally.summary()
    output = {
        "run": {
            "git_commit": git_commit(),
            "schemathesis": schemathesis.__version__,
            "seed": seed,
            "quick": args.quick,
            "budget": {
                "acting_per_mode": budget.acting,
                "per_other_caller": budget.others,
                "other_callers_per_operation": budget.other_callers,
                "sequences_per_group": budget.scenarios,
                "steps_per_sequence": budget.steps,
            },
            "checks": [c.__name__ for c in CHECKS],
            "gateway": args.gateway or "started by the run",
            "namespace": namespace,
            "generous_rates": not args.gateway and not args.default_rates,
            "operations_in_schema": operations,
            "cores": os.cpu_count(),
            "system_ready_s": round(ready_s, 1),
            "fuzzing_s": round(fuzz_s, 1),
            "seconds": round(time.monotonic() - began, 1),
        },
        "summary": summary,
        "failures": tally.failures,
        "transport_errors": tally.errors,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(output, indent=2) + "\n")
    print_summary(summary, tally.failures)
    say(f"figures written to {args.output} ({round(time.monotonic() - began, 1)} s in all)")
    clean = not (summary["responses_5xx"] or summary["schema_failures"] or tally.errors)
    sys.exit(0 if clean else 1)
