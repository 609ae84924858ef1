"""The supervised local stack: a process that ends is started again after a backoff, and
the supervisor says so in its state (what `make status` shows) and in the logs."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from onewindow.devstack.paths import state_dir
from onewindow.devstack.ports import free_port
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.devstack.services import SERVICES, readyz
from onewindow.devstack.supervised import service_children, status_lines, wait_ready
from onewindow.devstack.supervisor import Child, Plan, backoff, describe_exit

READY_AGAIN_WITHIN_S = 45.0


def eventually(condition: Callable[[], bool], within_s: float, what: str) -> float:
    """Seconds until `condition` held; fails after `within_s`."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < within_s, f"not within {within_s:.0f} s: {what}"
        time.sleep(0.1)
    return time.monotonic() - began


@contextlib.contextmanager
def supervising(plan: Plan, folder: Path) -> Iterator[Plan]:
    plan.start(folder / f"{plan.name}.json")
    try:
        yield plan
    finally:
        plan.stop()


def test_the_backoff_doubles_with_quick_failures_up_to_its_cap() -> None:
    assert [backoff(n, 0.5, 4.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe_exit(0) == "exited with status 0"


def test_a_child_that_keeps_dying_is_restarted_with_growing_pauses_and_said_so(
    tmp_path: Path,
) -> None:
    name = f"sup-{uuid.uuid4().hex[:6]}"
    dying = Child(name=f"{name}-dying", argv=[sys.executable, "-c", "raise SystemExit(3)"])
    plan = Plan(
        name=name,
        children=[dying],
        state_file=str(tmp_path / "state.json"),
        backoff_base_s=0.2,
        backoff_cap_s=0.8,
    )
    with supervising(plan, tmp_path):
        eventually(lambda: plan.state().get(dying.name, {}).get("restarts", 0) >= 4, 20, "4")
        row = plan.state()[dying.name]
        assert row["last_exit"] == "exited with status 3"
        log = dying.managed.log_file.read_text()
        assert "supervisor: restarting after the backoff" in log
        said = plan.managed.log_file.read_text()
        for pause in ("0.2", "0.4", "0.8"):
            assert f'"backoff_s": {pause}' in said
    assert plan.managed.pid() is None
    assert plan.state()[dying.name]["state"] == "stopped"


@pytest.mark.integration
@pytest.mark.chaos
def test_a_service_killed_in_a_supervised_stack_is_back_and_ready_and_counted(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    own = infrastructure.isolated("sup")
    ports = {service.name: free_port() for service in SERVICES}
    env = own.env() | {"ONEWINDOW_CLOCK_FILE": str(tmp_path / "clock")}
    for service in SERVICES:
        env[f"ONEWINDOW_{service.env_prefix}URL"] = service.url(ports[service.name])
    prefix = f"{own.namespace}-"
    plan = Plan(
        name=f"{prefix}supervisor",
        children=service_children(env, ports=ports, prefix=prefix),
        state_file=str(state_dir() / f"{prefix}supervisor.json"),
    )
    victim = next(c for c in plan.children if c.name == f"{prefix}work-permit")
    with supervising(plan, tmp_path):
        wait_ready(plan, timeout_s=180)
        pid = victim.managed.pid()
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        assert victim.url is not None
        url = victim.url

        def back() -> bool:
            now = victim.managed.pid()
            return now is not None and now != pid and readyz(url)[0]

        took = eventually(back, READY_AGAIN_WITHIN_S, "the killed service ready again")
        row = plan.state()[victim.name]
        assert row["restarts"] == 1
        assert row["last_exit"] == "killed by SIGKILL"
        [shown] = [line for line in status_lines(plan) if line.startswith(victim.name + " ")]
        assert " ready " in shown
        assert "killed by SIGKILL" in shown
        assert shown.split()[4] == "1", shown  # the restarts column
        assert "restarting after the backoff" in victim.managed.log_file.read_text()
        others = [c for c in plan.children if c is not victim]
        assert all(plan.state()[c.name]["restarts"] == 0 for c in others)
        print(f"back and ready {took:.1f} s after SIGKILL")
    assert all(c.managed.pid() is None for c in plan.children)
    assert dataclasses.asdict(plan)


def _answered_by(url: str) -> str | None:
    """The process (`instance`) that answered `/healthz` on a new connection, None if the
    address did not answer."""
    try:
        with httpx.Client(timeout=5.0) as client:  # a new connection every time
            answer = client.get(f"{url}/healthz")
    except httpx.TransportError:
        return None
    return str(answer.json().get("instance")) if answer.status_code == 200 else None


@pytest.mark.integration
def test_two_gateways_answer_on_one_port_and_it_keeps_answering_while_one_is_down(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    """`make run REPLICAS=2`'s gateways: both on the one public port (SO_REUSEPORT), each
    probed on its own management port; with one killed and held down, every request to
    the address is still answered, by the other."""
    own = infrastructure.isolated("gw2")
    port = free_port()
    prefix = f"{own.namespace}-"
    children = service_children(own.env(), gateways=2, ports={"gateway": port}, prefix=prefix)
    gateways = [c for c in children if c.name.startswith(f"{prefix}gateway")]
    plan = Plan(
        name=f"{prefix}supervisor",
        children=gateways,
        state_file=str(state_dir() / f"{prefix}supervisor.json"),
    )
    first, second = gateways
    assert first.address == second.address == f"http://127.0.0.1:{port}"
    assert first.url != second.url  # each its own probe
    with supervising(plan, tmp_path):
        wait_ready(plan, timeout_s=120)
        assert first.address is not None
        address = first.address
        seen = {_answered_by(address) for _ in range(40)}
        assert seen == {"gateway", "gateway-2"}, seen  # the kernel spreads connections
        hold = plan.hold_file(first)
        hold.touch()
        pid = first.managed.pid()
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        eventually(lambda: first.managed.pid() is None, 10, "the killed gateway gone")
        while_down = [_answered_by(address) for _ in range(30)]
        assert while_down == ["gateway-2"] * 30, while_down
        hold.unlink()
        assert first.url is not None
        url = first.url
        eventually(lambda: readyz(url)[0], READY_AGAIN_WITHIN_S, "the gateway back")
        back = {_answered_by(address) for _ in range(40)}
        assert back == {"gateway", "gateway-2"}, back


def test_replicas_of_consumers_get_ports_of_their_own_and_gateways_share_theirs() -> None:
    children = {c.name: c for c in service_children({}, replicas=2, gateways=2)}

    assert len(children) == 2 * len(SERVICES)
    assert children["identity-2"].address == "http://127.0.0.1:8092"
    assert children["identity-2"].url == children["identity-2"].address
    assert "IDENTITY_HTTP_REUSE_PORT" not in children["identity-2"].env
    gateways = [children["gateway"], children["gateway-2"]]
    assert {g.address for g in gateways} == {"http://127.0.0.1:8080"}
    assert [g.url for g in gateways] == ["http://127.0.0.1:9080", "http://127.0.0.1:9090"]
    assert all(g.env["GATEWAY_HTTP_REUSE_PORT"] == "true" for g in gateways)
