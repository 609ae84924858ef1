"""`python -m chaos` (`make chaos`): start a stack of its own, run the scenarios, print
each one's figures, write them to `chaos/results/latest.json`, stop everything."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.applicants import make_people, new_uscc, pairs, seed_registry
from chaos.scenarios import SCENARIOS, Context, Sizes, SturdyWatcher, people_needed
from chaos.stack import ChaosStack
from onewindow.contracts.topics import APPLICATIONS_EVENTS
from onewindow.devstack.paths import git_commit, project_root

EMPLOYERS = 10
# The issue's sizes. A full run of all six at these sizes takes longer than 15 minutes on
# a 2-core machine (about 6 decisions/s), so `--scale` shrinks them proportionally.
ISSUE_SIZES = {"R1": 2000, "R2": 2000, "R3": 1000, "R4": 1000, "R5": 1000, "R6": 2000}
QUICK = Sizes(
    applications={"R1": 16, "R2": 16, "R3": 10, "R4": 12, "R5": 8, "R6": 10},
    concurrency=4,
    steady_fraction=0.25,
    kill_period_s=6.0,
    fault_rate=0.1,
    kafka_kills=1,
    database_kills=1,
    recovery_kills=1,
    roll_limit=2,
    service_kills=1,
)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--scenarios", default="R1,R2,R3,R4,R5,R6", help="which, comma-separated")
    parser.add_argument(
        "--scale", type=float, default=0.15, help="× the issue's application counts"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke: a few dozen applications, one fault of each kind",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="applications in flight")
    parser.add_argument(
        "--kill-period", type=float, default=20.0, help="seconds between kills (R1, R2)"
    )
    parser.add_argument("--replicas", type=int, default=1, help="processes per consumer service")
    parser.add_argument("--seed", type=int, default=None, help="of the random victim choice")
    parser.add_argument("--output", type=Path, default=project_root() / "chaos/results/latest.json")
    return parser.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    if args.quick:
        return QUICK
    counts = {name: max(10, round(n * args.scale)) for name, n in ISSUE_SIZES.items()}
    return replace(
        Sizes(applications=counts), concurrency=args.concurrency, kill_period_s=args.kill_period
    )


async def run(stack: ChaosStack, names: list[str], sizes: Sizes, seed: int) -> list[dict[str, Any]]:
    today = date.today()
    employers = [new_uscc() for _ in range(EMPLOYERS)]
    people = make_people(people_needed(sizes, names, EMPLOYERS, len(stack.plan.children)))
    applicants = pairs(people, employers)
    random.Random(seed).shuffle(applicants)
    http = httpx.AsyncClient(
        base_url=stack.gateway,
        timeout=30,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
    )
    watcher = SturdyWatcher(stack.kafka.bootstrap, stack.topic_prefix + APPLICATIONS_EVENTS.name)
    await watcher.start()
    try:
        began = time.monotonic()
        writes = await seed_registry(http, employers, people, today)
        say(f"registry seeded: {writes} writes in {time.monotonic() - began:.0f} s")
        ctx = Context(stack, http, watcher, today, sizes, applicants, random.Random(seed))
        results = []
        for name in names:
            say(f"{name}: {sizes.applications[name]} applications …")
            result = await SCENARIOS[name](ctx)
            print_result(result)
            results.append(result)
        return results
    finally:
        await watcher.stop()
        await http.aclose()


def say(text: str) -> None:
    print(text, flush=True)


KEYS = [
    "submitted",
    "accepted",
    "final",
    "approved",
    "refused",
    "lost",
    "duplicate_permit_numbers",
    "one_valid_permit",
    "stuck",
    "notices_sent_twice",
    "dead_letters",
    "compensations",
    "steady_per_s",
    "during_faults_per_s",
    "throughput_ratio",
    "recovery",
]


def print_result(result: dict[str, Any]) -> None:
    shown = {k: result.get(k) for k in KEYS if k in result}
    for extra in (
        "injected_failures",
        "injected_retried_to_success",
        "graceful_exits",
        "stopped_in_s",
        "recovery_first",
        "decided_again_after_infra",
        "ready_again",
    ):
        if extra in result:
            shown[extra] = result[extra]
    if result["scenario"] == "R5":
        shown["poison"] = [
            {k: f.get(k) for k in ("topic", "attempts", "dead_lettered_after_s", "moved_after_s")}
            for f in result["faults"]
        ]
    kinds: dict[str, int] = {}
    for fault in result["faults"]:
        kinds[fault["kind"]] = kinds.get(fault["kind"], 0) + 1
    shown["faults"] = kinds
    say(f"{result['scenario']} ({result['seconds']} s): " + json.dumps(shown))


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    names = [n.strip().upper() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenarios: {unknown}")
    sizes = sizes_from(args)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    stack = ChaosStack(replicas=args.replicas)
    began = time.monotonic()
    say(
        f"chaos stack {stack.namespace}: its own Kafka on {stack.kafka.bootstrap}, "
        f"FerretDB on {stack.database.url}, PostgreSQL in {stack.postgres.home}; "
        f"{args.replicas} process(es) per consumer"
    )
    try:
        stack.start()
        say(f"stack ready in {time.monotonic() - began:.0f} s")
        results = asyncio.run(run(stack, names, sizes, seed))
    finally:
        stack.stop()
    output = {
        "run": {
            "git_commit": git_commit(),
            "cores": os.cpu_count(),
            "seed": seed,
            "replicas": args.replicas,
            "quick": args.quick,
            "sizes": sizes.applications,
            "concurrency": sizes.concurrency,
            "kill_period_s": sizes.kill_period_s,
            "seconds": round(time.monotonic() - began, 1),
            "namespace": stack.namespace,
        },
        "scenarios": {r["scenario"]: r for r in results},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(output, indent=2, default=str))
    say(f"figures written to {args.output} ({output['run']['seconds']} s in all)")
