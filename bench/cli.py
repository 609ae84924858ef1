"""`python -m bench`: start a namespace of the system, measure it beside the raw broker,
print the tables, write `bench/results/latest.json`, and stop everything it started."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench.report import render, write_json
from bench.run import Options, measure
from bench.stack import BenchStack
from bench.summaries import derive
from onewindow.devstack.paths import git_commit, project_root, state_dir

RESULTS = Path("bench/results/latest.json")
# The closed loop stops submitting after `closed_seconds` and then waits for the ones in
# flight, which takes concurrency ÷ throughput. Measured here: 1.6 decisions/s with 16 in
# flight, 1.5 with 32, 0.9 with 64 — past a few dozen, more in flight only lengthens the
# queues in front of the database (and the drain). 32 saturates the system with room to
# spare and keeps the whole run under ten minutes on this 2-core machine (--quick under
# two); `-c 300` runs the "several hundred" when a faster system needs it.
DEFAULTS = {
    "applications": 3000,
    "concurrency": 32,
    "closed_seconds": 90.0,
    "duration": 40.0,
    "profile_seconds": 20.0,
    "relay_messages": 20_000,
    "rtt_rounds": 500,
    "db_operations": 3000,
    "timeout": 240.0,
}
QUICK = {
    "applications": 400,
    "concurrency": 20,
    "closed_seconds": 20.0,
    "duration": 6.0,
    "profile_seconds": 8.0,
    "relay_messages": 3000,
    "rtt_rounds": 100,
    "db_operations": 600,
    "timeout": 90.0,
}


EPILOG = """\
phases, in order: start a namespace (topic and database prefix) with every service as its
own process; seed the registry through the gateway; baselines on the same broker and
database (relay, rtt, database); the closed loop (py-spy samples every service over its
last seconds of submissions); one open loop per rate; the message flow read back from
the topics. Everything is stopped, and the namespace's topics and databases deleted, at
the end, also on Ctrl-C. `make bench ARGS="--quick"` passes options through make.
"""


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "End-to-end throughput and latency of One Window beside the raw broker and\n"
            "database, measured in one run on the local Kafka and FerretDB. Prints tables\n"
            "and writes bench/results/latest.json."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = found.add_argument

    def default(name: str, unit: str = "") -> str:
        return f"(default {DEFAULTS[name]:g}{unit}; --quick {QUICK[name]:g}{unit})"

    add(
        "-n",
        "--applications",
        type=int,
        metavar="N",
        help=f"closed loop: at most N applications {default('applications')}",
    )
    add(
        "-c",
        "--concurrency",
        type=int,
        metavar="C",
        help=f"closed loop: applications in flight {default('concurrency')}",
    )
    add(
        "--closed-seconds",
        type=float,
        metavar="S",
        help=f"closed loop: stop submitting after S seconds {default('closed_seconds', ' s')}",
    )
    add(
        "--rates",
        default="0.25,0.5,0.7",
        metavar="F,F,…",
        help="open loop: rates as fractions of the closed loop's maximum (default 0.25,0.5,0.7)",
    )
    add(
        "-d",
        "--duration",
        type=float,
        metavar="S",
        help=f"open loop: seconds of submissions per rate {default('duration', ' s')}",
    )
    add(
        "--profile-seconds",
        type=float,
        metavar="S",
        help=f"py-spy sampling at the end of the closed loop {default('profile_seconds', ' s')}",
    )
    add(
        "--relay-messages",
        type=int,
        metavar="M",
        help=f"relay baseline: messages relayed {default('relay_messages')}",
    )
    add(
        "--rtt-rounds",
        type=int,
        metavar="R",
        help=f"rtt baseline: round trips timed {default('rtt_rounds')}",
    )
    add(
        "--db-operations",
        type=int,
        metavar="O",
        help=f"database baseline: commands timed {default('db_operations')}",
    )
    add(
        "--timeout",
        type=float,
        metavar="S",
        help=f"an application not decided after S seconds is lost {default('timeout', ' s')}",
    )
    add(
        "--preload",
        type=int,
        default=0,
        metavar="N",
        help="after the open loops, copy what the run stored until N applications are stored "
        "and run the closed loop again (cost as data grows; e.g. 20000; default off)",
    )
    add(
        "--clerks",
        type=int,
        default=0,
        metavar="K",
        help="K clerks write the registry through the gateway during the closed loop, each "
        "answer counted (5xx included; no retries); default off",
    )
    add("--quick", action="store_true", help="a smoke check in under two minutes")
    add("--log-level", default="INFO", help="the services' ONEWINDOW_LOG_LEVEL (default INFO)")
    add(
        "--output",
        type=Path,
        metavar="PATH",
        help="where the JSON goes (default bench/results/latest.json; with --quick "
        ".state/bench-quick.json, so a smoke check never replaces the figures)",
    )
    add("--keep", action="store_true", help="keep the namespace's topics and databases")
    add(
        "--no-db-trace",
        action="store_true",
        help="start the services without bench.dbtrace (a PyMongo listener timing every "
        "database command)",
    )
    return found


def options_from(args: argparse.Namespace) -> Options:
    base = QUICK if args.quick else DEFAULTS

    def pick(name: str, attr: str | None = None) -> Any:
        value = getattr(args, attr or name)
        return base[name] if value is None else value

    fractions = tuple(float(f) for f in args.rates.split(",") if f.strip())
    if not all(0 < f <= 1 for f in fractions):
        raise SystemExit("--rates are fractions of the maximum, each within (0, 1]")
    return Options(
        applications=pick("applications"),
        concurrency=pick("concurrency"),
        closed_seconds=pick("closed_seconds"),
        fractions=fractions,
        duration_s=pick("duration"),
        profile_s=pick("profile_seconds"),
        relay_messages=pick("relay_messages"),
        rtt_rounds=pick("rtt_rounds"),
        db_operations=pick("db_operations"),
        timeout_s=pick("timeout"),
        profile_folder=state_dir() / "bench-profile",
        preload=args.preload,
        clerks=args.clerks,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    options = options_from(args)
    # A smoke check's figures are not the project's figures: they stay in the state folder.
    output = args.output or (
        state_dir() / "bench-quick.json" if args.quick else project_root() / RESULTS
    )
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C
    # aiokafka warns of every retried write while a new topic's leader settles; the
    # retries succeed, and a warning per partition would only hide the progress bars.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    console = Console()
    stack = BenchStack(log_level=args.log_level, trace_db=not args.no_db_trace)
    started = time.monotonic()
    load_before = os.getloadavg()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"starting namespace {stack.namespace}", total=None)
            versions = stack.start_infrastructure()
            stack.start_services()
            progress.update(task, total=1, completed=1)
            measured = asyncio.run(measure(stack, options, progress))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: stopping the bench's processes[/]")
        sys.exit(130)
    finally:
        stack.stop()
        timings = stack.db_timings()  # written by each service as it exits
        if not args.keep:
            stack.remove_data()
    result: dict[str, Any] = {
        "run": {
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "cores": os.cpu_count(),
            "machine": f"{platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}",
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "seconds": round(time.monotonic() - started, 1),
            "quick": args.quick,
            "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
            "namespace": stack.namespace,
        },
        "versions": versions,
        **measured,
    }
    result.setdefault("database", {})["commands"] = timings
    result["derived"] = derive(result)
    for phase in [result["system"]["closed_loop"], *result["system"]["open_loop"]]:
        phase.pop("ids", None)  # kept for the flow analysis, too long for the file
    write_json(output, result)
    render(console, result)
    console.print(f"written: {output}")
