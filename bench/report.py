"""The bench's output: tables on the terminal (Rich) and `bench/results/latest.json`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.summaries import TARGETS


def write_json(path: Path, result: dict[str, Any]) -> None:
    """Write `result` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    os.replace(partial, path)


def _f(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value}{unit}"


def _ms(seconds: Any) -> str:
    return "–" if seconds is None else f"{seconds * 1000:,.0f} ms"


def render(console: Console, result: dict[str, Any]) -> None:
    """Print every figure of `result` as a few readable tables."""
    run = result["run"]
    console.print(
        f"[bold]One Window bench[/] · commit {run['git_commit'][:12]} · {run['cores']} cores · "
        f"load {run['load_average_before']} → {run['load_average_after']} · "
        f"{result['versions']['kafka']} · {result['versions']['database']}"
    )
    base = result["baselines"]
    table = Table(title="Raw broker (same topics shape, acks=all, idempotent)")
    for column in ("baseline", "figure"):
        table.add_column(column)
    table.add_row("relay", f"{_f(base['relay']['messages_per_s'], 0)} messages/s")
    table.add_row(
        "rtt (one in flight)",
        f"p50 {_f(base['rtt']['p50_ms'], 2)} ms · p99 {_f(base['rtt']['p99_ms'], 2)} ms",
    )
    for key in ("database", "database_sqlite"):
        db = base.get(key)
        if not db:
            continue
        backend = db.get("backend", "")
        table.add_row(
            f"database, FerretDB on {backend} ({db['concurrency']} clients: insert, find,"
            " update by _id)",
            f"{_f(db['operations_per_s'], 0)} commands/s · p50 {_f(db['latency_ms']['p50'], 1)} ms"
            f" · server CPU {_f(db['server_cpu_ms_per_operation'], 2)} ms/command"
            f" · {db.get('failed', 0)} failed",
        )
    console.print(table)
    _system(console, result["system"])
    _health(console, result)
    _derived(console, result)
    _path(console, result["flow"])
    _processes(console, result["processes"])
    _database(console, result.get("database", {}))
    _profiles(console, result.get("profile", {}))


def _health(console: Console, result: dict[str, Any]) -> None:
    table = Table(title="Under concurrency: what clerks and operators would notice")
    for column in ("what", "figure"):
        table.add_column(column)
    if clerks := result["system"].get("clerks"):
        table.add_row(
            f"{clerks['clerks']} clerks writing the registry during the closed loop",
            f"{clerks['writes']:,} writes · answers {clerks['status']} · "
            f"{clerks['server_errors']} HTTP 5xx · transport errors {clerks['transport_errors']}",
        )
    for name, per_process in result.get("logs", {}).items():
        total = sum(per_process.values())
        table.add_row(f"log lines: {name.replace('_', ' ')}", f"{total} {per_process or ''}")
    console.print(table)


def _system(console: Console, system: dict[str, Any]) -> None:
    table = Table(title="The system through the gateway (latency: POST → decision.decided_at)")
    for column in ("phase", "offered", "decided/s", "approved", "failed", "p50", "p95", "p99"):
        table.add_column(column, justify="right" if column != "phase" else "left")

    def row(label: str, offered: str, decided: str, phase: dict[str, Any]) -> None:
        lat = phase["latency_s"]
        table.add_row(
            label,
            offered,
            decided,
            str(phase["approved"]),
            str(phase["failed"]),
            *(_ms(lat.get(q)) for q in ("p50", "p95", "p99")),
        )

    def closed_rate(loop: dict[str, Any]) -> str:
        return f"{_f(loop['decided_per_s'])} (overall {_f(loop['overall_per_s'])})"

    closed = system["closed_loop"]
    row(f"closed loop, {closed['concurrency']} in flight", "max", closed_rate(closed), closed)
    for phase in system["open_loop"]:
        row(
            f"open loop {phase['fraction']:.0%} of max",
            f"{_f(phase['rate_per_s'], 2)}/s",
            _f(phase["decided_per_s"], 2),
            phase,
        )
    if preloaded := system.get("preloaded"):
        again, ratio = preloaded["closed_loop"], preloaded.get("rate_vs_empty")
        row(
            f"closed loop on {preloaded['applications_stored']:,} stored applications"
            f" ({_f(ratio, 2) if ratio else '–'} × the empty store's rate; started"
            f" {preloaded.get('settled', {}).get('waited_s', 0):.0f} s after the copy)",
            "max",
            closed_rate(again),
            again,
        )
    console.print(table)


def _derived(console: Console, result: dict[str, Any]) -> None:
    derived = result["derived"]
    table = Table(title="Derived ratios and the targets")
    for column in ("figure", "value", "target", "reached"):
        table.add_column(column)
    reached = derived["targets"]
    table.add_row(
        "applications decided per second",
        _f(result["system"]["closed_loop"]["decided_per_s"]),
        f"≥ {TARGETS['applications_per_s']:g}",
        _yes(reached["applications_per_s"]),
    )
    table.add_row(
        "Kafka messages per application", _f(result["flow"]["messages"]["per_application"]), "", ""
    )
    table.add_row(
        "fan-out efficiency",
        _f(derived["fan_out_efficiency"], 3),
        f"≥ {TARGETS['fan_out_efficiency']:g}",
        _yes(reached["fan_out"]),
    )
    table.add_row(
        "p99 at 50 % of max",
        _ms(derived["p99_at_half_load_s"]),
        f"≤ {TARGETS['p99_at_half_load_s']:g} s",
        _yes(reached["p99"]),
    )
    table.add_row("hops on the critical path", _f(result["flow"]["critical_path"]["hops"]), "", "")
    if "database_ceiling_per_s" in derived:
        table.add_row(
            "database commands per application (without the bench's reads)",
            _f(derived["database_commands_per_application_without_bench_reads"]),
            f"≤ {TARGETS['database_commands_per_application']:g}",
            _yes(reached.get("database_commands")),
        )
        table.add_row(
            "decisions/s the database alone allows (its commands/s ÷ that)",
            _f(derived["database_ceiling_per_s"]),
            "",
            "",
        )
    table.add_row(
        f"latency inflation ({derived['inflation_phase']})",
        _f(derived["latency_inflation"], 1),
        "(≈0.5 = broker-bound)",
        "",
    )
    console.print(table)


def _yes(value: bool | None) -> str:
    return "–" if value is None else ("[green]yes[/]" if value else "[red]no[/]")


def _path(console: Console, flow: dict[str, Any]) -> None:
    path = flow["critical_path"]
    if not path.get("steps"):
        return
    table = Table(title=f"Where an approval's time goes ({flow['critical_path_phase']})")
    for column in ("step", "p50", "p99"):
        table.add_column(column, justify="right" if column != "step" else "left")
    for step in path["steps"]:
        table.add_row(
            step["step"], _f(step.get("p50_ms"), 0, " ms"), _f(step.get("p99_ms"), 0, " ms")
        )
    console.print(table)


def _processes(console: Console, processes: dict[str, Any]) -> None:
    table = Table(title=f"Processes during the closed loop ({processes['wall_s']:.0f} s)")
    for column in ("process", "CPU s", "CPU ms/app", "cores", "peak RSS", "VmHWM"):
        table.add_column(column, justify="right" if column != "process" else "left")
    for name, row in processes["per_process"].items():
        table.add_row(
            name,
            _f(row.get("cpu_s")),
            _f(row.get("cpu_ms_per_application")),
            _f(row.get("cores"), 2),
            _f(row.get("peak_rss_mib"), 0, " MiB"),
            _f(row.get("vm_hwm_mib"), 0, " MiB"),
        )
    table.add_row(
        "whole machine (all processes, others' too)",
        _f(processes["machine_busy_s"]),
        "",
        _f(processes["machine_busy_s"] / processes["wall_s"] if processes["wall_s"] else None, 2),
        "",
        "",
    )
    console.print(table)


def _database(console: Console, database: dict[str, Any]) -> None:
    commands = database.get("commands") or {}
    apps = database.get("applications_in_run") or 0
    if not commands or not apps:
        return
    table = Table(
        title=f"Database commands per application ({apps} decided in the run; bench.dbtrace)"
    )
    for column in ("service", "all / app", "top commands (per app · mean server time)"):
        table.add_column(column, justify="right" if column == "all / app" else "left")
    for service, rows in commands.items():
        total = sum(row["count"] for row in rows.values())
        top = [
            f"{shape}: {row['count'] / apps:.1f} · {row['mean_ms']:.1f} ms"
            for shape, row in list(rows.items())[:3]
        ]
        table.add_row(service, f"{total / apps:.1f}", "\n".join(top))
    console.print(table)


def _profiles(console: Console, profiles: dict[str, Any]) -> None:
    if not profiles.get("per_service"):
        return
    possible = profiles["rate_hz"] * profiles["seconds"]
    for name, found in profiles["per_service"].items():
        busy = found.get("busy_samples", 0) / possible if possible else 0.0
        table = Table(
            title=f"{name}: ten hottest frames (py-spy, self time of busy samples; "
            f"busy {busy:.0%} of the time)"
        )
        table.add_column("share", justify="right")
        table.add_column("frame")
        if "error" in found:
            table.add_row("–", f"not profiled: {found['error']}")
        for row in found.get("self_top", []):
            table.add_row(f"{row['share']:.1%}", row["frame"])
        own = ", ".join(
            f"{r['frame']} {r['share']:.0%}" for r in found.get("own_total_top", [])[:3]
        )
        if own:
            table.caption = f"the project's own frames, callees included: {own}"
        console.print(table)
