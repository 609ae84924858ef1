"""The measured part of a run, in order: seed, baselines, closed loop (profiled in its
second half), open loops, then the flow read back from the topics. Everything it finds
goes into one dict."""

from __future__ import annotations

import asyncio
import math
import os
import resource
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from rich.progress import Progress

from bench import baselines, flow
from bench.applicants import (
    Applicant,
    clerks_at_work,
    make_people,
    new_uscc,
    pairs,
    seed_registry,
)
from bench.database import database_baseline, sqlite_ferretdb
from bench.load import Driver, Outcome, Watcher, closed_loop, open_loop
from bench.logscan import scan
from bench.preload import preload
from bench.procstats import Sampler, machine_busy_seconds
from bench.profile import RATE_HZ, record
from bench.stack import BenchStack, collection_sizes, create_plain_topics
from bench.stats import steady_rate
from bench.summaries import describe, processes, thirds
from onewindow.contracts.topics import APPLICATIONS_EVENTS, REGISTRY
from onewindow.devstack.paths import state_dir

EMPLOYERS = 40
SETTLE_S = 2.0  # after a phase, let the last notifications and closings drain
NOT_PROFILED = ("kafka", "ferretdb", "postgres", "bench", "mailsink")  # not Python services


@dataclass(frozen=True)
class Options:
    applications: int
    concurrency: int
    closed_seconds: float
    fractions: tuple[float, ...]
    duration_s: float
    profile_s: float
    relay_messages: int
    rtt_rounds: int
    db_operations: int
    timeout_s: float
    profile_folder: Path
    preload: int = 0
    clerks: int = 0


async def measure(stack: BenchStack, options: Options, progress: Progress) -> dict[str, Any]:
    """Every phase against the started `stack`; the figures as one dict."""
    return await Phases(stack, options, progress).run()


class Phases:
    """Runs the phases against one started stack, reporting progress as it goes."""

    def __init__(self, stack: BenchStack, options: Options, progress: Progress) -> None:
        self.stack, self.options, self.progress = stack, options, progress
        self.today = date.today()
        self.employers = [new_uscc() for _ in range(EMPLOYERS)]
        self.unused: list[Applicant] = []
        self.seeded = 0
        self.http = httpx.AsyncClient(
            base_url=stack.gateway,
            timeout=60,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
        )
        self.watcher = Watcher(stack.kafka_bootstrap, stack.topic(APPLICATIONS_EVENTS.name))
        self.driver = Driver(self.http, self.watcher, self.today, options.timeout_s)
        self.pids = {**stack.pids(), "bench": os.getpid()}
        self.posted: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.clerks: dict[str, Any] | None = None

    async def run(self) -> dict[str, Any]:
        try:
            return await self._run()
        finally:
            await self.watcher.stop()
            await self.http.aclose()

    async def _run(self) -> dict[str, Any]:
        o = self.options
        people = await self._seed(o.applications, "seeding the registry")
        result: dict[str, Any] = {"baselines": await self._baselines()}
        await self.watcher.start()
        closed, usage, profile = await self._closed(people)
        maximum = closed["decided_per_s"] or closed["overall_per_s"] or 1.0
        phases = []
        for fraction in o.fractions:
            rate = max(0.2, fraction * maximum)
            count = max(1, round(rate * o.duration_s))
            batch = await self._seed(count, f"seeding ({fraction:.0%})")
            phases.append(await self._open(fraction, rate, batch))
        result["system"] = {"closed_loop": closed, "open_loop": phases}
        result["processes"] = processes(usage, closed["approved"])
        result["profile"] = profile
        result["flow"] = await self._flow(closed, phases)
        sizes = await collection_sizes(self.stack.mongodb_url, self.stack.namespace)
        decided = closed["approved"] + sum(p["approved"] for p in phases)
        result["database"] = {"documents": sizes, "applications_in_run": decided}
        result["client"] = {"posts": self.driver.posts, "gets": self.driver.gets}
        if o.preload:
            result["system"]["preloaded"] = await self._preloaded(closed)
            # The database commands traced include the second loop's applications.
            result["database"]["applications_in_run"] += result["system"]["preloaded"][
                "closed_loop"
            ]["approved"]
        if self.clerks is not None:
            result["system"]["clerks"] = self.clerks
        result["logs"] = scan(state_dir() / "logs", self.stack.namespace)
        return result

    async def _preloaded(self, empty: dict[str, Any]) -> dict[str, Any]:
        """The closed loop again, on a store grown to `preload` applications."""
        o = self.options
        # The machine with nothing offered (the quietest of three windows: the loops
        # before may still be draining).
        idle = min([await busy_cores(SETTLE_WINDOW_S) for _ in range(3)])
        task = self.progress.add_task(f"preloading {o.preload:,} applications", total=None)
        stored = await preload(
            self.stack.mongodb_url,
            self.stack.namespace,
            o.preload,
            progress=lambda n: self.progress.advance(task, n),
        )
        settle = self.progress.add_task("database settling after the copy", total=None)
        settled = await settle_after_copy(idle)
        self.progress.update(settle, description=f"database settled: {settled['waited_s']:.0f} s")
        people = await self._seed(o.applications, "seeding (preloaded store)")
        closed, _, _ = await self._closed(people, profile=False)
        closed.pop("ids", None)
        rate, base = closed["decided_per_s"], empty["decided_per_s"]
        return {
            **stored,
            "settled": settled,
            "closed_loop": closed,
            "rate_vs_empty": rate / base if rate and base else None,
        }

    async def _seed(self, count: int, label: str) -> list[Applicant]:
        """`count` applications never made before, recording the persons they need."""
        missing = count - len(self.unused)
        if missing > 0:
            people = make_people(math.ceil(missing / len(self.employers)))
            employers = [] if self.seeded else self.employers
            task = self.progress.add_task(label, total=len(employers) + 3 * len(people))
            started = time.perf_counter()
            self.seeded += await seed_registry(
                self.http,
                employers,
                people,
                self.today,
                progress=lambda n: self.progress.advance(task, n),
            )
            took = time.perf_counter() - started
            self.progress.update(task, description=f"{label}: {took:.0f} s")
            self.unused += pairs(people, self.employers)
        taken, self.unused = self.unused[:count], self.unused[count:]
        return taken

    async def _baselines(self) -> dict[str, Any]:
        o, stack = self.options, self.stack
        names = [stack.topic(f"bench.{n}") for n in ("relay-in", "relay-out", "echo", "reply")]
        await create_plain_topics(stack.kafka_bootstrap, names)
        task = self.progress.add_task("baseline: relay", total=o.relay_messages)
        relayed = await baselines.relay(
            stack.kafka_bootstrap,
            names[0],
            names[1],
            o.relay_messages,
            lambda n: self.progress.advance(task, n),
        )
        task = self.progress.add_task("baseline: rtt", total=o.rtt_rounds)
        echoed = await baselines.rtt(
            stack.kafka_bootstrap,
            names[2],
            names[3],
            o.rtt_rounds,
            lambda n: self.progress.advance(task, n),
        )
        task = self.progress.add_task("baseline: database", total=o.db_operations)
        database = await database_baseline(
            stack.mongodb_url,
            f"{stack.namespace}_bench_probe",
            o.db_operations,
            server_pids=[p for n in ("ferretdb", "postgres") if (p := self.pids.get(n))],
            progress=lambda n: self.progress.advance(task, n),
        )
        database["backend"] = "PostgreSQL"
        # The backend the local stack used before, measured the same way beside it.
        task = self.progress.add_task("baseline: database (SQLite)", total=o.db_operations)
        with sqlite_ferretdb(stack.namespace) as (url, pid):
            sqlite = await database_baseline(
                url,
                f"{stack.namespace}_bench_probe",
                o.db_operations,
                server_pids=[pid],
                progress=lambda n: self.progress.advance(task, n),
            )
        sqlite["backend"] = "SQLite"
        return {"relay": relayed, "rtt": echoed, "database": database, "database_sqlite": sqlite}

    def _track(self, label: str, total: int) -> Any:
        task = self.progress.add_task(label, total=total)

        def done(outcome: Outcome) -> None:
            self.progress.advance(task)
            if outcome.application_id is not None:
                self.posted[outcome.application_id] = outcome.posted_at
                if outcome.seen_at is not None:
                    self.seen[outcome.application_id] = outcome.seen_at

        return done

    async def _closed(
        self, people: list[Applicant], *, profile: bool = True
    ) -> tuple[dict[str, Any], Any, dict[str, Any]]:
        """The closed loop; py-spy samples the services over the end of its submissions."""
        o = self.options
        label = f"closed loop: {o.concurrency} in flight, {o.closed_seconds:.0f} s"
        self.driver.lag_s = 0.0
        sampler = Sampler(self.pids)
        sampler.start()
        loop = asyncio.create_task(
            closed_loop(
                self.driver,
                people,
                o.concurrency,
                self._track(label, len(people)),
                seconds=o.closed_seconds,
            )
        )
        writing = None
        stop_clerks = asyncio.Event()
        if o.clerks and profile:  # clerks write the registry during the first loop only
            writing = asyncio.create_task(
                clerks_at_work(self.http, o.clerks, self.today, stop_clerks)
            )
        found_profile = await self._profile(loop) if profile else {}
        outcomes = await loop
        if writing is not None:
            stop_clerks.set()
            self.clerks = await writing
        usage = await sampler.stop()
        found = describe(outcomes)
        decided = [x.decided_at for x in outcomes if x.approved and x.decided_at is not None]
        started = min((x.posted_at for x in outcomes), default=0.0)
        found |= {
            "concurrency": o.concurrency,
            "submitted": len(outcomes),
            "decided_per_s": steady_rate(decided),
            "overall_per_s": len(decided) / (max(decided) - started) if decided else None,
            "decided_per_s_by_third": thirds(decided),
            "wall_s": usage.wall_s,
            "ids": [x.application_id for x in outcomes if x.approved],
        }
        await asyncio.sleep(SETTLE_S)
        return found, usage, found_profile

    async def _profile(self, loop: asyncio.Task[list[Outcome]]) -> dict[str, Any]:
        """py-spy on every service over the last `profile_s` of the closed loop's submissions
        (the pipeline is full by then), with what the sampling itself cost."""
        o = self.options
        services = {n: p for n, p in self.pids.items() if n not in NOT_PROFILED}
        lead = max(0.0, o.closed_seconds - o.profile_s)
        done, _ = await asyncio.wait({loop}, timeout=lead)
        if done:
            return {"tool": "py-spy", "error": "the closed loop ended before the profile began"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        found = await record(services, o.profile_s, o.profile_folder)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return {
            "tool": "py-spy",
            "rate_hz": RATE_HZ,
            "seconds": o.profile_s,
            "py_spy_cpu_s": spent,
            "per_service": found,
        }

    async def _open(self, fraction: float, rate: float, people: list[Applicant]) -> dict[str, Any]:
        label = f"open loop {fraction:.0%}: {rate:.2f}/s"
        self.driver.lag_s = 0.0
        sampler = Sampler(self.pids)
        sampler.start()
        outcomes = await open_loop(self.driver, people, rate, self._track(label, len(people)))
        usage = await sampler.stop()
        await asyncio.sleep(SETTLE_S)
        approved = [x for x in outcomes if x.approved]
        return describe(outcomes) | {
            "fraction": fraction,
            "rate_per_s": rate,
            "duration_s": len(people) / rate,
            "decided_per_s": len(approved) / (len(people) / rate),
            "cpu_s": usage.cpu_s,
            "ids": [x.application_id for x in approved],
        }

    async def _flow(self, closed: dict[str, Any], phases: list[dict[str, Any]]) -> dict[str, Any]:
        task = self.progress.add_task("reading the flow back from the topics", total=None)
        records = await flow.read_topics(
            self.stack.kafka_bootstrap, self.stack.topic_prefix, [t.name for t in REGISTRY]
        )
        self.progress.update(task, total=1, completed=1)
        half = min(phases, key=lambda p: abs(p["fraction"] - 0.5)) if phases else closed
        half_ids = set(half["ids"])
        return {
            "records": len(records),
            "messages": flow.messages_per_application(records, set(closed["ids"])),
            "critical_path_phase": f"open loop {half['fraction']:.0%}" if phases else "closed loop",
            "critical_path": flow.critical_paths(
                [r for r in records if r.correlation_id in half_ids],
                {i: self.posted[i] for i in half_ids if i in self.posted},
                {i: self.seen[i] for i in half_ids if i in self.seen},
            ),
        }


# After the bulk copy, PostgreSQL's autovacuum and analyze work through the new rows for a
# while (a transient that slowed the first thirds of the next loop: 7.0, 6.3 then 8.6
# decisions/s). Data that grows by applications meets that work a little at a time, so
# the loop waits until the machine is back to its idle load (plus SETTLE_MARGIN_CORES)
# for two windows in a row, at most SETTLE_LIMIT_S, and records the wait.
SETTLE_WINDOW_S = 3.0
SETTLE_MARGIN_CORES = 0.15
SETTLE_LIMIT_S = 300.0


async def busy_cores(seconds: float) -> float:
    """The cores the whole machine kept busy over the next `seconds`."""
    before = machine_busy_seconds()
    await asyncio.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds


async def settle_after_copy(idle: float) -> dict[str, float]:
    """Wait for the machine to be as quiet as before the copy (see above)."""
    started, quiet, busy = time.perf_counter(), 0, idle
    while quiet < 2 and time.perf_counter() - started < SETTLE_LIMIT_S:
        busy = await busy_cores(SETTLE_WINDOW_S)
        quiet = quiet + 1 if busy <= idle + SETTLE_MARGIN_CORES else 0
    return {
        "idle_cores": round(idle, 3),
        "last_busy_cores": round(busy, 3),
        "waited_s": round(time.perf_counter() - started, 1),
        "settled": float(quiet >= 2),
    }
