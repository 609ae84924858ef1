"""The local stack with its services supervised (`make run`, `make status`, `make stop`).

    python -m onewindow.devstack.supervised up [--replicas N]
    python -m onewindow.devstack.supervised status
    python -m onewindow.devstack.supervised stop

`up` starts Kafka, PostgreSQL, FerretDB and the mail sink as `onewindow stack up` does,
then one supervisor that runs every service and restarts any that ends (see
`supervisor`). With `--replicas N` each consumer service runs N processes in its consumer
groups (Kafka shares the partitions out between them); replica 1 keeps the service's
name and port, replica k its name with `-k` and the port + 10 × (k − 1). The gateway,
the public address, runs N times on its one port (`http_reuse_port`: the kernel spreads
new connections among the processes listening, so the address keeps answering while one
restarts), gateway k with its management port + 10 × (k − 1), where its probes reach it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Mapping

from onewindow.devstack import infra
from onewindow.devstack.paths import state_dir
from onewindow.devstack.services import PORT_STEP, SERVICES, Service, readyz
from onewindow.devstack.supervisor import Child, Plan

SUPERVISOR = "supervisor"
# Services whose processes share one public port, rather than one port each.
SHARED_PORT = frozenset({"gateway"})


def replica_name(service: Service, replica: int) -> str:
    return service.name if replica == 1 else f"{service.name}-{replica}"


def replica_port(service: Service, replica: int, base: int | None = None) -> int:
    return (base or service.port) + PORT_STEP * (replica - 1)


def service_children(
    env: Mapping[str, str],
    *,
    replicas: int = 1,
    gateways: int = 1,
    ports: Mapping[str, int] | None = None,
    prefix: str = "",
    argv: Mapping[str, list[str]] | None = None,
) -> list[Child]:
    """Every service as supervised children: `replicas` processes of each consumer service,
    `gateways` processes of the gateway on its one port. `ports` gives replica 1's HTTP
    port per service (default: its own), `prefix` goes before every process name, `argv`
    replaces a service's command line."""
    # A development stack: the gateway accepts the development signing key (unless the
    # caller's environment names another ONEWINDOW_ENV).
    env = {"ONEWINDOW_ENV": os.environ.get("ONEWINDOW_ENV", "development"), **env}
    children = []
    for service in SERVICES:
        shared = service.name in SHARED_PORT
        count = gateways if shared else replicas
        for replica in range(1, count + 1):
            base = (ports or {}).get(service.name)
            port = (base or service.port) if shared else replica_port(service, replica, base)
            command = (argv or {}).get(service.name, [sys.executable, "-m", service.module])
            port_env = service.port_env(port, shared_by=replica if shared and count > 1 else 0)
            children.append(
                Child(
                    name=prefix + replica_name(service, replica),
                    argv=command,
                    # A stable name: a restarted replica is the same static group member.
                    env={
                        **env,
                        **port_env,
                        "ONEWINDOW_INSTANCE_ID": replica_name(service, replica),
                    },
                    url=_probe_url(service, port_env),
                    address=service.url(port),
                )
            )
    return children


def _probe_url(service: Service, port_env: Mapping[str, str]) -> str:
    """Where this process's own `/readyz` answers: its management port, else its port."""
    port = (
        port_env.get(f"{service.env_prefix}MANAGEMENT_PORT")
        or port_env[f"{service.env_prefix}HTTP_PORT"]
    )
    return service.url(int(port))


def local_plan(replicas: int = 1) -> Plan:
    """The plan of `make run`: the local stack's services on their default ports."""
    env = {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap(), "MONGODB_URL": infra.mongodb_url()}
    return Plan(
        name=SUPERVISOR,
        children=service_children(env, replicas=replicas, gateways=replicas),
        state_file=str(state_dir() / "supervisor.json"),
    )


def wait_ready(plan: Plan, timeout_s: float) -> None:
    """Until every child answers ready; fails naming those that do not."""
    deadline = time.monotonic() + timeout_s
    pending = {c.name: c.url for c in plan.children if c.url}
    while pending:
        for name, url in list(pending.items()):
            if readyz(url)[0]:
                del pending[name]
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {timeout_s:.0f}s: {', '.join(pending)}")
        if plan.managed.pid() is None:
            tail = plan.managed.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the supervisor exited; end of its log:\n{tail}")
        time.sleep(0.3)


def status_lines(plan: Plan) -> list[str]:
    """One line per supervised process: pid, address, readiness, restarts, last exit."""
    state = plan.state()
    lines = [f"{'process':<22} {'pid':>7}  {'address':<24} {'state':<10} restarts  last exit"]
    for child in plan.children:
        row = state.get(child.name, {})
        pid = row.get("pid")
        ready = pid is not None and child.url is not None and readyz(child.url)[0]
        shown = "ready" if ready else row.get("state", "stopped") if pid is None else "not ready"
        last = f"{row.get('last_exit') or '-'} {row.get('last_exit_at') or ''}".rstrip()
        lines.append(
            f"{child.name:<22} {pid or '-':>7}  {child.address or child.url or '':<24} {shown:<10} "
            f"{row.get('restarts', 0):>8}  {last}"
        )
    return lines


def _infra_lines() -> list[str]:
    rows = [
        (infra.KAFKA, infra.kafka_bootstrap()),
        (infra.POSTGRES, f"unix socket in {infra.postgres_socket_dir()}"),
        (infra.FERRETDB, infra.mongodb_url()),
        (infra.MAILSINK, f"smtp://127.0.0.1:{infra.MAILSINK_PORT}"),
    ]
    return [
        f"{m.name:<22} {m.pid() or '-':>7}  {address:<24} {'running' if m.pid() else 'stopped'}"
        for m, address in rows
    ]


def _saved_plan() -> Plan | None:
    path = state_dir() / "supervisor-plan.json"
    return Plan.load(path) if path.is_file() else None


def up(replicas: int, timeout_s: float) -> None:
    from onewindow.runtime.topics import ensure_topics

    infra.install()
    infra.start_kafka()
    infra.start_ferretdb()
    asyncio.run(ensure_topics(infra.kafka_bootstrap()))
    infra.start_mailsink()
    running = _saved_plan()
    if running is not None and running.managed.pid() is not None:
        print(f"the supervisor already runs (pid {running.managed.pid()}); `make stop` first")
    else:
        for service in SERVICES:  # started unsupervised before (`onewindow stack up`)
            service.process.stop(timeout=15)
        plan = local_plan(replicas)
        plan.start(state_dir() / "supervisor-plan.json")
        print(f"supervisor started: {len(plan.children)} processes ({replicas} per service)")
        wait_ready(plan, timeout_s)
        running = plan
    status()
    gateway = next(s for s in SERVICES if s.name == "gateway")
    print(
        f"\nOne Window is running, supervised. Gateway: {gateway.url()}\n"
        f"Logs: {state_dir() / 'logs'} (the supervisor's: supervisor.log)\nStop it with: make stop"
    )


def status() -> None:
    for line in _infra_lines():
        print(line)
    plan = _saved_plan()
    if plan is None:
        print("no supervised services (make run)")
        return
    supervisor = plan.managed.pid()
    said = "running" if supervisor else "stopped"
    print(f"{'supervisor':<22} {supervisor or '-':>7}  {'':<24} {said}")
    for line in status_lines(plan):
        print(line)


def stop() -> None:
    plan = _saved_plan()
    if plan is not None and plan.stop():
        print("stopped the supervisor and every service it ran")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "status", "stop"])
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="processes per service (the gateways share its port)",
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for /readyz")
    args = parser.parse_args(argv)
    if args.command == "up":
        up(max(1, args.replicas), args.timeout)
    elif args.command == "status":
        status()
    else:
        stop()


if __name__ == "__main__":
    main()
