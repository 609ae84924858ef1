"""Figures of a phase (from its outcomes and the processes' usage) and of the run (pure)."""

from __future__ import annotations

from typing import Any

from bench.load import Outcome
from bench.procstats import Usage
from bench.stats import fan_out_efficiency, latency_inflation, steady_rate, summary

# The targets for this 2-core machine (issue 12's, and issue 9's fan-out): designed
# for, reported, never asserted.
TARGETS = {
    "applications_per_s": 100.0,
    "fan_out_efficiency": 0.25,
    "p99_at_half_load_s": 1.0,
    "database_commands_per_application": 15.0,
}


def thirds(moments: list[float]) -> list[float | None]:
    """The decision rate within each third of the decisions: does it hold as data grows?"""
    ordered = sorted(moments)
    cut = len(ordered) // 3
    if cut == 0:
        return []
    parts = (ordered[:cut], ordered[cut : len(ordered) - cut], ordered[len(ordered) - cut :])
    return [steady_rate(part, 0, 1) for part in parts]


def describe(outcomes: list[Outcome]) -> dict[str, Any]:
    """Counts, failures by kind and latency percentiles (seconds) of one phase."""
    approved = [x for x in outcomes if x.approved]
    failures: dict[str, int] = {}
    for x in outcomes:
        if not x.approved:
            failures[x.status] = failures.get(x.status, 0) + 1
    return {
        "approved": len(approved),
        "failed": len(outcomes) - len(approved),
        "failures": failures,
        "latency_s": summary([x.latency_s for x in approved if x.latency_s is not None]),
        "seen_latency_s": summary(
            [x.seen_latency_s for x in approved if x.seen_latency_s is not None]
        ),
        "read_model_lag_s": summary(
            [x.read_model_lag_s for x in approved if x.read_model_lag_s is not None]
        ),
        "accept_latency_s": summary(
            [x.accepted_at - x.posted_at for x in approved if x.accepted_at is not None]
        ),
    }


def processes(usage: Usage, applications: int) -> dict[str, Any]:
    """CPU and memory per process over a phase, and CPU per decided application."""
    rows: dict[str, Any] = {}
    for name in sorted(set(usage.cpu_s) | set(usage.peak_rss_kib)):
        cpu = usage.cpu_s.get(name)
        rows[name] = {
            "cpu_s": cpu,
            "cores": cpu / usage.wall_s if cpu is not None and usage.wall_s else None,
            "cpu_ms_per_application": (
                cpu * 1000 / applications if cpu is not None and applications else None
            ),
            "peak_rss_mib": usage.peak_rss_kib.get(name, 0) / 1024,
            "vm_hwm_mib": usage.hwm_kib.get(name, 0) / 1024,
        }
    return {"wall_s": usage.wall_s, "machine_busy_s": usage.machine_busy_s, "per_process": rows}


def derive(result: dict[str, Any]) -> dict[str, Any]:
    """Fan-out efficiency, latency inflation and whether each target is reached."""
    closed = result["system"]["closed_loop"]
    per_s = closed["decided_per_s"] or closed["overall_per_s"] or 0.0
    per_app = result["flow"]["messages"]["per_application"]
    relay = result["baselines"]["relay"]["messages_per_s"]
    rtt_s = result["baselines"]["rtt"]["p50_ms"] / 1000
    hops = result["flow"]["critical_path"]["hops"]
    phases = result["system"]["open_loop"]
    half = min(phases, key=lambda p: abs(p["fraction"] - 0.5)) if phases else None
    lightest = min(phases, key=lambda p: p["fraction"]) if phases else None
    p99_half = half["latency_s"].get("p99") if half else None
    p50 = (lightest or closed)["latency_s"].get("p50")
    efficiency = fan_out_efficiency(per_s, per_app, relay) if relay else None
    database = database_figures(result)
    return {
        **database,
        "fan_out_efficiency": efficiency,
        "kafka_messages_per_s": per_s * per_app,
        "latency_inflation": latency_inflation(p50, hops, rtt_s) if p50 and hops else None,
        "inflation_phase": f"open loop {lightest['fraction']:.0%}" if lightest else "closed loop",
        "broker_floor_s": hops * rtt_s / 2,
        "p99_at_half_load_s": p99_half,
        "targets": {
            "applications_per_s": per_s >= TARGETS["applications_per_s"],
            "fan_out": None if efficiency is None else efficiency >= TARGETS["fan_out_efficiency"],
            "p99": None if p99_half is None else p99_half <= TARGETS["p99_at_half_load_s"],
            "database_commands": None
            if "database_commands_per_application_without_bench_reads" not in database
            else database["database_commands_per_application_without_bench_reads"]
            <= TARGETS["database_commands_per_application"],
        },
    }


def database_figures(result: dict[str, Any]) -> dict[str, Any]:
    """Database commands per application, and the decision rate the database alone allows.

    Each of the bench's own GETs costs the gateway two reads (the case's owners and its
    view); they are taken out, as a real client's follow-ups would vary."""
    traced = result.get("database", {}).get("commands") or {}
    applications = result.get("database", {}).get("applications_in_run") or 0
    if not traced or not applications:
        return {}
    commands = sum(row["count"] for rows in traced.values() for row in rows.values())
    own = (commands - 2 * result["client"]["gets"]) / applications
    ceiling = result["baselines"]["database"]["operations_per_s"] / own if own > 0 else None
    return {
        "database_commands_per_application": commands / applications,
        "database_commands_per_application_without_bench_reads": own,
        "database_ceiling_per_s": ceiling,
    }
