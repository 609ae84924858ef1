"""The scenarios R1–R6: each runs applications through the gateway in a closed loop,
first without faults (the steady rate of the same run), then with its faults until the
last application is submitted; then waits for every case and checks them from outside."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from bench.applicants import Applicant
from bench.load import Watcher
from bench.stats import percentile
from chaos import faultplay
from chaos.checks import Record, committed, examine, read_topics
from chaos.faultplay import Fault
from chaos.load import Flow, closed_loop, rate, wait_final
from chaos.stack import ChaosStack
from onewindow.contracts.topics import APPLICATIONS_EVENTS, DLQ_SUFFIX

OUTPUT_TOPIC = {
    "applications": "applications.events",
    "identity": "identity.events",
    "work-permit": "work-permit.events",
    "residence-permit": "residence-permit.events",
    "notifications": "notifications.events",
}
DRAIN_S = 300.0
SESSION_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is (the issue's sizes, scaled to what the run can afford)."""

    applications: dict[str, int]
    concurrency: int = 16
    steady_fraction: float = 0.2
    kill_period_s: float = 20.0
    fault_rate: float = 0.03
    kafka_kills: int = 3
    database_kills: int = 2
    recovery_kills: int = 5
    roll_limit: int | None = None
    service_kills: int | None = None  # at most, in R1 and R2


class SturdyWatcher(Watcher):
    """The bench's watcher of final events, carrying on through a broker restart."""

    async def _run(self) -> None:
        while True:
            try:
                await super()._run()
            except asyncio.CancelledError:
                raise
            except Exception:  # the broker was killed: wait and read on
                await asyncio.sleep(1.0)


@dataclass
class Context:
    stack: ChaosStack
    http: httpx.AsyncClient
    watcher: Watcher
    today: date
    sizes: Sizes
    applicants: list[Applicant]
    chance: random.Random

    def take(self, count: int) -> list[Applicant]:
        taken, self.applicants = self.applicants[:count], self.applicants[count:]
        return taken


FaultRun = Callable[[Context, asyncio.Event], Coroutine[Any, Any, list[Fault]]]


async def phase(
    ctx: Context, name: str, count: int, inject: FaultRun, *, through_faults: bool = False
) -> dict[str, Any]:
    """Run `count` applications: steady first, then with `inject`'s faults; the figures.

    `through_faults`: the faults take longer than `count` applications (R2's plan of
    infrastructure kills, R4's roll through every process), so applicants keep coming
    until the last fault is over, and the faults are never played to an idle system.
    `stop` then tells `inject` that the `count` applications are in; it finishes its
    plan, and the load ends with it."""
    flow = Flow()
    applicants = ctx.take(count)
    began = time.time()
    injecting: asyncio.Task[list[Fault]] | None = None

    def more() -> Applicant | None:
        if not through_faults or injecting is None or injecting.done():
            return None
        taken = ctx.take(1)
        if not taken:
            flow.ran_out = True
        return taken[0] if taken else None

    loop = asyncio.create_task(
        closed_loop(
            ctx.http, ctx.watcher, applicants, ctx.sizes.concurrency, ctx.today, flow, more=more
        )
    )
    steady_count = max(1, int(count * ctx.sizes.steady_fraction))
    while len(flow.final_at) < steady_count and not loop.done():  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    faults_from = time.time()
    stop = asyncio.Event()
    injecting = asyncio.create_task(inject(ctx, stop))
    while flow.submitted < count and not loop.done():  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    if through_faults:
        stop.set()
        await asyncio.wait({loop, injecting}, return_when=asyncio.FIRST_COMPLETED)
    last_submitted = time.time()
    await loop
    stop.set()
    faults = await injecting
    faults_until = max([last_submitted, *(f.back_at or f.at for f in faults)])
    await wait_final(ctx.watcher, flow, DRAIN_S)
    await asyncio.sleep(5.0)  # the last notices and closings
    poison = frozenset(f.target for f in faults if f.kind == "poison")
    figures = await examine(
        ctx.stack.env(), ctx.stack.namespace, flow.accepted, poison=poison, since=began
    )
    finals = figures.pop("final_times")
    first_final = min([t for t in finals if t >= began], default=faults_from)
    steady = rate(finals, first_final, faults_from)
    during = rate(finals, faults_from, faults_until)
    return {
        "scenario": name,
        "applications": count,
        "submitted": flow.submitted,
        **figures,
        "post_errors": flow.refused_posts,
        "steady_per_s": _round(steady),
        "during_faults_per_s": _round(during),
        "throughput_ratio": _round(during / steady if during is not None and steady else None),
        "faults": [_fault(f) for f in faults],
        "faults_window_s": round(faults_until - faults_from, 1),
        **({"applicants_ran_out": flow.ran_out} if through_faults else {}),
        "seconds": round(time.time() - began, 1),
        "restarts": ctx.stack.restarts(),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _fault(fault: Fault) -> dict[str, Any]:
    return {
        "kind": fault.kind,
        "target": fault.target,
        "at": round(fault.at, 3),
        "back_after_s": None if fault.back_at is None else round(fault.back_at - fault.at, 2),
        **fault.detail,
    }


def recovery(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_s": round(percentile(list(values), 50), 2),
        "p99_s": round(percentile(list(values), 99), 2),
        "max_s": round(max(values), 2),
    }


async def resumed(ctx: Context, faults: Sequence[Fault]) -> list[dict[str, Any]]:
    """Per killed service process: from the kill to the first event its service sent
    again (any partition), and to when every partition that had work sent again."""
    prefix = ctx.stack.topic_prefix
    records = await read_topics(
        ctx.stack.kafka.bootstrap, [prefix + t for t in OUTPUT_TOPIC.values()]
    )
    by_topic: dict[str, list[Record]] = {}
    for r in records:
        by_topic.setdefault(r.topic.removeprefix(prefix), []).append(r)
    found = []
    for fault in faults:
        service = faultplay.service_of(ctx.stack, fault.target)
        if fault.kind not in {"sigkill", "sigterm"} or service not in OUTPUT_TOPIC:
            continue
        after = [r for r in by_topic.get(OUTPUT_TOPIC[service], []) if r.timestamp > fault.at]
        if not after:
            continue
        first_per_partition: dict[int, float] = {}
        for r in sorted(after, key=lambda r: r.timestamp):
            first_per_partition.setdefault(r.partition, r.timestamp)
        found.append(
            {
                "process": fault.target,
                "first_s": round(min(first_per_partition.values()) - fault.at, 2),
                "all_partitions_s": round(max(first_per_partition.values()) - fault.at, 2),
                "partitions": len(first_per_partition),
            }
        )
    return found


async def decided_again(ctx: Context, faults: Sequence[Fault]) -> list[float]:
    """Per infrastructure fault: from the kill to the first decision after it was back."""
    topic = ctx.stack.topic_prefix + APPLICATIONS_EVENTS.name
    finals = sorted(
        r.timestamp
        for r in await read_topics(ctx.stack.kafka.bootstrap, [topic])
        if r.type.endswith(("Approved.v1", "Refused.v1", "Withdrawn.v1"))
    )
    found = []
    for fault in faults:
        if fault.kind in {"kafka", "database"} and fault.back_at is not None:
            later = [t for t in finals if t >= fault.back_at]
            if later:
                found.append(later[0] - fault.at)
    return found


# The scenarios ------------------------------------------------------------------------


async def r1(ctx: Context) -> dict[str, Any]:
    async def inject(ctx: Context, stop: asyncio.Event) -> list[Fault]:
        return await faultplay.random_kills(
            ctx.stack, stop, ctx.sizes.kill_period_s, chance=ctx.chance
        )

    result = await phase(ctx, "R1", ctx.sizes.applications["R1"], inject)
    return await _with_recovery(ctx, result)


async def r2(ctx: Context) -> dict[str, Any]:
    plan = ["kafka", "database"] * max(ctx.sizes.kafka_kills, ctx.sizes.database_kills)
    plan = [
        k
        for i, k in enumerate(plan)
        if (i // 2) < (ctx.sizes.kafka_kills if k == "kafka" else ctx.sizes.database_kills)
    ]

    async def inject(ctx: Context, stop: asyncio.Event) -> list[Fault]:
        return await faultplay.random_kills(
            ctx.stack,
            stop,
            ctx.sizes.kill_period_s,
            chance=ctx.chance,
            infra_plan=list(plan),
            service_kills=ctx.sizes.service_kills,
        )

    result = await phase(ctx, "R2", ctx.sizes.applications["R2"], inject, through_faults=True)
    return await _with_recovery(ctx, result)


async def _with_recovery(ctx: Context, result: dict[str, Any]) -> dict[str, Any]:
    faults = [_as_fault(f) for f in result["faults"]]
    resumes = await resumed(ctx, faults)
    result["resumed"] = resumes
    result["recovery"] = recovery([r["all_partitions_s"] for r in resumes])
    result["ready_again"] = recovery(
        [
            f["back_after_s"]
            for f in result["faults"]
            if f["kind"] == "sigkill" and f["back_after_s"] is not None
        ]
    )
    infra = await decided_again(ctx, faults)
    if infra:
        result["decided_again_after_infra"] = recovery(infra)
    return result


def _as_fault(raw: dict[str, Any]) -> Fault:
    back = raw["back_after_s"]
    return Fault(raw["kind"], raw["target"], raw["at"], None if back is None else raw["at"] + back)


async def r3(ctx: Context) -> dict[str, Any]:
    logs = ctx.stack.log_files()
    marks = {path: path.stat().st_size if path.exists() else 0 for path in logs}

    async def inject(ctx: Context, stop: asyncio.Event) -> list[Fault]:
        ctx.stack.set_fault_rate(ctx.sizes.fault_rate)
        began = time.time()
        await stop.wait()
        ctx.stack.set_fault_rate(0.0)
        return [
            Fault(
                "handler-failures",
                f"{ctx.sizes.fault_rate:.0%} of handler calls",
                began,
                time.time(),
            )
        ]

    result = await phase(ctx, "R3", ctx.sizes.applications["R3"], inject)
    injected = {"before": 0, "after": 0}
    exhausted = 0
    for path in logs:
        with path.open("rb") as log:
            log.seek(marks.get(path, 0))
            text = log.read().decode(errors="replace")
        for when in injected:
            injected[when] += len(re.findall(rf'"fault injected".*?"when": "{when}"', text))
        exhausted += text.count("handler failed for good")
    result["injected_failures"] = injected
    result["injected_dead_lettered"] = exhausted
    result["injected_retried_to_success"] = sum(injected.values()) - exhausted
    return result


async def r4(ctx: Context) -> dict[str, Any]:
    async def inject(ctx: Context, stop: asyncio.Event) -> list[Fault]:
        return await faultplay.rolling_restart(ctx.stack, ctx.sizes.roll_limit)

    result = await phase(ctx, "R4", ctx.sizes.applications["R4"], inject, through_faults=True)
    exits = [f.get("exit") for f in result["faults"]]
    result["graceful_exits"] = sum(1 for e in exits if e == "exited with status 0")
    result["stopped_in_s"] = recovery(
        [f["stopped_in_s"] for f in result["faults"] if "stopped_in_s" in f]
    )
    return result


async def r5(ctx: Context) -> dict[str, Any]:
    async def inject(ctx: Context, stop: asyncio.Event) -> list[Fault]:
        poisons = await faultplay.send_poison(ctx.stack)
        await watch_poison(ctx, poisons)
        await stop.wait()
        return poisons

    return await phase(ctx, "R5", ctx.sizes.applications["R5"], inject)


async def watch_poison(ctx: Context, poisons: list[Fault], within_s: float = 90.0) -> None:
    """For each poison message: when it reached the dead-letter topic (with how many
    attempts), and when its partition's committed offset passed it."""
    prefix = ctx.stack.topic_prefix
    deadline = time.time() + within_s
    pending = list(poisons)
    while pending and time.time() < deadline:
        dlq = list(
            await read_topics(
                ctx.stack.kafka.bootstrap,
                [prefix + p.detail["topic"] + DLQ_SUFFIX for p in pending],
            )
        )
        offsets = await committed(ctx.stack.kafka.bootstrap)
        for poison in list(pending):
            detail = poison.detail
            letter = next((r for r in dlq if r.correlation == poison.target), None)
            if letter is not None and "dead_lettered_after_s" not in detail:
                detail["dead_lettered_after_s"] = round(letter.timestamp - poison.at, 2)
                detail["attempts"] = int(letter.headers.get("x-dlq-attempts", "0"))
            moved = [
                o
                for (group, topic, part), o in offsets.items()
                if topic == prefix + detail["topic"]
                and part == detail["partition"]
                and o > detail["offset"]
            ]
            if moved and "moved_after_s" not in detail:
                detail["moved_after_s"] = round(time.time() - poison.at, 2)
            if "moved_after_s" in detail and "dead_lettered_after_s" in detail:
                pending.remove(poison)
        await asyncio.sleep(0.5)


async def r6(ctx: Context) -> dict[str, Any]:
    services = list(OUTPUT_TOPIC)

    async def inject(ctx: Context, stop: asyncio.Event) -> list[Fault]:
        faults: list[Fault] = []
        for turn in range(ctx.sizes.recovery_kills):
            if stop.is_set():
                break
            service = services[turn % len(services)]
            victim = ctx.stack.children(service)[0]
            if ctx.stack.replicas < 2:
                await faultplay.kill_service(ctx.stack, victim, faults, signal.SIGKILL)
            else:  # held down until a survivor has taken its partitions over
                hold = ctx.stack.plan.hold_file(victim)
                hold.touch()
                killed = asyncio.Event()
                watching = asyncio.create_task(takeover(ctx, service, killed))
                killing = asyncio.create_task(
                    faultplay.kill_service(ctx.stack, victim, faults, signal.SIGKILL)
                )
                await asyncio.sleep(0.1)
                killed.set()
                took = await watching
                hold.unlink()
                fault = await killing
                fault.detail["survivor_took_over_s"] = took
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ctx.sizes.kill_period_s / 2)
        return faults

    result = await phase(ctx, "R6", ctx.sizes.applications["R6"], inject)
    faults = [_as_fault(f) for f in result["faults"]]
    resumes = await resumed(ctx, faults)
    result["resumed"] = resumes
    result["recovery"] = recovery([r["all_partitions_s"] for r in resumes])
    result["recovery_first"] = recovery([r["first_s"] for r in resumes])
    result["session_timeout_s"] = SESSION_TIMEOUT_S
    return result


async def takeover(
    ctx: Context, service: str, killed: asyncio.Event, within_s: float = 60.0
) -> dict[str, Any] | None:
    """With replicas, while the killed one is held down: seconds from the kill until every
    partition of the service's groups has committed offsets again (what `ops lag` shows),
    which for the killed process's partitions means the survivor took them over."""
    if ctx.stack.replicas < 2:
        return None
    bootstrap, prefix = ctx.stack.kafka.bootstrap, ctx.stack.topic_prefix
    await killed.wait()
    began = time.monotonic()
    before = {
        key: offset
        for key, offset in (await committed(bootstrap)).items()
        if key[0] == prefix + service or key[0].startswith(f"{prefix}{service}.")
    }
    moved: dict[tuple[str, str, int], float] = {}
    while time.monotonic() - began < within_s and len(moved) < len(before):
        await asyncio.sleep(0.5)
        now = await committed(bootstrap)
        for key, offset in before.items():
            if key not in moved and now.get(key, offset) > offset:
                moved[key] = time.monotonic() - began
    return {
        "partitions": len(before),
        "moved_again": len(moved),
        "all_moved_after_s": round(max(moved.values()), 2) if moved else None,
    }


SCENARIOS: dict[str, Callable[[Context], Awaitable[dict[str, Any]]]] = {
    "R1": r1,
    "R2": r2,
    "R3": r3,
    "R4": r4,
    "R5": r5,
    "R6": r6,
}


# What the applicants registered for R2 and R4, whose load lasts as long as their faults,
# are sized by: their faults' length at most, at more decisions per second than this
# machine makes without faults (5-8/s). Fewer would end the load before the faults
# (`applicants_ran_out` in the figures says so).
RESERVE_PER_S = 7.0
ROLL_STEP_S = 15.0  # one process of a roll: SIGTERM, stop, restart, ready (4-13 s seen)


def faults_last_s(sizes: Sizes, name: str, processes: int) -> float:
    """How long R2's and R4's faults last at most (0 for the others)."""
    if name == "R2":  # infrastructure on every other turn, the last one's restart
        return 2 * (sizes.kafka_kills + sizes.database_kills) * sizes.kill_period_s + 30
    if name == "R4":
        rolled = processes if sizes.roll_limit is None else min(processes, sizes.roll_limit)
        return (rolled + 1) * ROLL_STEP_S
    return 0.0


def people_needed(sizes: Sizes, names: Sequence[str], employers: int, processes: int) -> int:
    wanted = sum(
        max(sizes.applications[n], math.ceil(faults_last_s(sizes, n, processes) * RESERVE_PER_S))
        for n in names
    )
    return math.ceil(wanted / employers)
