"""The bench's pure parts: the arithmetic, /proc parsing, py-spy's output, the flow walk."""

from __future__ import annotations

import os

import pytest

from bench.dbtrace import shape
from bench.flow import Sent, critical_path, critical_paths, messages_per_application
from bench.preload import clone
from bench.procstats import cpu_seconds, memory_kib, parse_cpu_seconds, parse_memory_kib
from bench.profile import parse_collapsed
from bench.stats import (
    fan_out_efficiency,
    latency_inflation,
    percentile,
    steady_rate,
    summary,
)
from bench.summaries import derive, thirds


def test_percentiles_interpolate_between_ranks_like_numpy() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(v) for v in range(1, 101)], 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 9.0], 0) == 1.0
    assert percentile([1.0, 9.0], 100) == 9.0


def test_percentile_of_nothing_is_an_error_not_a_number() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_summary_names_count_and_tail() -> None:
    found = summary([0.1, 0.2, 0.3, 0.4, 10.0])
    assert found["n"] == 5
    assert found["p50"] == 0.3
    assert found["max"] == 10.0
    assert summary([]) == {"n": 0}


def test_the_steady_rate_ignores_the_ramp_and_the_stragglers() -> None:
    # 100 decisions at 10 per second, after a slow start and before a long tail.
    moments = [0.0, 5.0] + [10 + i / 10 for i in range(100)] + [60.0, 90.0]
    assert steady_rate(moments) == pytest.approx(10.0, rel=0.05)
    assert steady_rate([1.0, 2.0]) is None  # too few to tell


def test_thirds_show_a_rate_that_falls_as_data_grows() -> None:
    fast = [i / 10 for i in range(30)]  # 10/s
    slow = [3 + i / 2 for i in range(30)]  # 2/s
    first, _, last = thirds(fast + slow)
    assert first is not None
    assert last is not None
    assert first > 4 * last


def test_fan_out_efficiency_and_latency_inflation() -> None:
    assert fan_out_efficiency(200, 25, 20_000) == pytest.approx(0.25)
    # 10 hops of a 2 ms round trip each: a 1 s p50 is 50 times that.
    assert latency_inflation(1.0, 10, 0.002) == pytest.approx(50.0)
    with pytest.raises(ValueError, match="relay"):
        fan_out_efficiency(1, 25, 0)


def test_cpu_time_is_read_after_a_command_name_with_spaces_and_parentheses() -> None:
    fields = ["S"] + ["0"] * 10 + ["250", "50"] + ["0"] * 30
    stat = "4242 (python (my) worker) " + " ".join(fields)
    assert parse_cpu_seconds(stat, ticks_per_s=100) == pytest.approx(3.0)


def test_memory_comes_from_vm_rss_and_the_high_water_mark() -> None:
    status = "Name:\tpython\nVmPeak:\t 9999 kB\nVmHWM:\t  81234 kB\nVmRSS:\t  80000 kB\n"
    assert parse_memory_kib(status) == {"VmHWM": 81234, "VmRSS": 80000}


def test_this_process_has_cpu_time_and_resident_memory() -> None:
    sum(range(200_000))
    assert (cpu_seconds(os.getpid()) or 0) > 0
    memory = memory_kib(os.getpid())
    assert memory["VmHWM"] >= memory["VmRSS"] > 1000


def test_a_vanished_process_has_no_figures() -> None:
    assert cpu_seconds(2**22 + 12345) is None
    assert memory_kib(2**22 + 12345) == {}


ROOT = (
    'process 1:"python -m onewindow.gateway";thread (1);<module> (gateway/__main__.py);'
    "serve (runtime/host.py);run (asyncio/runners.py)"
)
APPLY = "apply (gateway/readmodel/projection.py)"
RAW = [
    f"{ROOT};EpollSelector.select (selectors.py) 70",
    f"{ROOT};{APPLY};encode (bson/__init__.py) 20",
    f"{ROOT};{APPLY} 5",
    f"{ROOT};dumps (json/__init__.py) 5",
]


def test_the_profile_ranks_busy_frames_and_sets_waiting_apart() -> None:
    profile = parse_collapsed(RAW)
    assert profile.samples == 100
    assert profile.busy == 30
    frame, share = profile.self_top[0]
    assert frame == "encode (bson/__init__.py)"
    assert share == pytest.approx(20 / 30)
    assert "EpollSelector.select (selectors.py)" not in dict(profile.self_top)
    frame, share = profile.own_total_top[0]  # the project's own code, callees included
    assert frame == "apply (gateway/readmodel/projection.py)"
    assert share == pytest.approx(25 / 30)
    assert len(profile.own_total_top) == 1


def test_a_database_command_is_named_by_what_it_filters_on() -> None:
    assert shape("find", {"find": "commits", "filter": {"stream": "s", "version": 2}}) == (
        "find commits by stream,version"
    )
    update = {"update": "views", "updates": [{"q": {"_id": "a"}, "u": {}}]}
    assert shape("update", update) == "update views by _id"
    assert shape("insert", {"insert": "commits", "documents": []}) == "insert commits"
    assert shape("aggregate", {"aggregate": "c", "pipeline": [{"$match": {}}, {"$group": {}}]}) == (
        "aggregate c [$match, $group]"
    )


def _sent(id: str, type: str, cause: str | None, created: float, topic: str = "t") -> Sent:
    return Sent(topic, id, f"onewindow.x.{type}.v1", "case-1", cause, created, created + 0.01, 100)


def test_the_critical_path_follows_the_later_cause_of_a_join() -> None:
    submit = _sent("1", "SubmitApplication", None, 0.0)
    work = _sent("2", "WorkPermitReserved", "1", 0.1)
    residence = _sent("3", "ResidencePermitReserved", "1", 0.2)
    approved = Sent(
        "applications.events",
        "4",
        "onewindow.applications.ApplicationApproved.v1",
        "case-1",
        "3",  # the saga decided when the second reservation arrived
        0.3,
        0.31,
        100,
    )
    records = [submit, work, residence, approved]
    path = critical_path({r.id: r for r in records}, approved)
    assert [r.name for r in path] == [
        "SubmitApplication",
        "ResidencePermitReserved",
        "ApplicationApproved",
    ]
    found = critical_paths(records, posted={"case-1": -0.05}, seen={"case-1": 0.5})
    assert found["hops"] == 3
    first, *_, last = found["steps"]
    assert first["p50_ms"] == pytest.approx(50)
    assert last["p50_ms"] == pytest.approx(190)
    counted = messages_per_application(records, {"case-1"})
    assert counted["per_application"] == 4


def test_the_run_derives_ratios_targets_and_the_database_ceiling() -> None:
    def phase(fraction: float, p50: float, p99: float) -> dict[str, object]:
        return {"fraction": fraction, "latency_s": {"p50": p50, "p99": p99}}

    result = {
        "system": {
            "closed_loop": {"decided_per_s": 2.0, "overall_per_s": 1.8, "latency_s": {}},
            "open_loop": [phase(0.25, 0.8, 0.9), phase(0.5, 1.0, 1.5), phase(0.7, 2.0, 4.0)],
        },
        "flow": {"messages": {"per_application": 25.0}, "critical_path": {"hops": 10}},
        "baselines": {
            "relay": {"messages_per_s": 10_000.0},
            "rtt": {"p50_ms": 2.0},
            "database": {"operations_per_s": 400.0},
        },
        "database": {
            "applications_in_run": 10,
            "commands": {"gateway": {"find v by _id": {"count": 1000}, "insert c": {"count": 400}}},
        },
        "client": {"gets": 200},
    }
    derived = derive(result)
    assert derived["fan_out_efficiency"] == pytest.approx(2.0 * 25 / 10_000)
    assert derived["latency_inflation"] == pytest.approx(0.8 / (10 * 0.002))  # lightest load
    assert derived["p99_at_half_load_s"] == 1.5
    # 140 commands per application, 40 of them the bench's own reads (2 per GET).
    assert derived["database_commands_per_application_without_bench_reads"] == 100
    assert derived["targets"] == {
        "applications_per_s": False,
        "fan_out": False,
        "p99": False,
        "database_commands": False,
    }
    assert derived["database_ceiling_per_s"] == pytest.approx(4.0)


def test_a_preloaded_copy_collides_with_nothing_and_publishes_nothing() -> None:
    commit = {"_id": "applications-a1#3", "stream": "applications-a1", "version": 3}
    attempt = {"_id": "d1#1", "delivery_id": "d1", "owner": "x"}

    first, second = clone(commit, 0), clone(commit, 1)

    assert first is not None
    assert second is not None
    assert {first["_id"], second["_id"], commit["_id"]} == {
        "applications-a1#3",
        "applications-a1#3~pre0",
        "applications-a1#3~pre1",
    }
    assert (first["stream"], first["version"]) != (commit["stream"], commit["version"])
    assert clone(attempt, 2) == {"_id": "d1#1~pre2", "delivery_id": "d1~pre2", "owner": "x"}
    pending = clone({"_id": "s#1", "stream": "s", "outbox_pending": True}, 0)
    assert pending is not None
    assert pending["outbox_pending"] is False
    assert clone({"_id": 7}, 0) is None
