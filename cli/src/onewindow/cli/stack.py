"""`onewindow stack …`: the local stack without Docker (what `make run` uses)."""

from __future__ import annotations

import asyncio
import logging

import typer
from rich.console import Console
from rich.table import Table

from onewindow.devstack import infra
from onewindow.devstack.paths import state_dir
from onewindow.devstack.processes import Managed
from onewindow.devstack.services import SERVICES, readyz, start_service, wait_ready
from onewindow.runtime.topics import ensure_topics

stack = typer.Typer(help="Provision, start and stop the local stack.", no_args_is_help=True)
console = Console()


def _infra_env() -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap(),
        "MONGODB_URL": infra.mongodb_url(),
    }


@stack.command()
def install() -> None:
    """Fetch Kafka's jars and build FerretDB into the state folder (once); find PostgreSQL."""
    with console.status("fetching Kafka jars (Maven Central)…"):
        infra.kafka_libs()
    with console.status("building FerretDB (Go)…"):
        infra.ferretdb_binary()
    console.print(f"[green]installed[/] under {state_dir()}")


@stack.command()
def up(
    services: bool = typer.Option(True, help="Also start every service and the gateway."),
    timeout: float = typer.Option(120.0, help="Seconds to wait for every /readyz."),
) -> None:
    """Start Kafka, FerretDB, the topics and (by default) every service; idempotent."""
    logging.basicConfig(level=logging.WARNING)
    install()
    with console.status("starting Kafka 4.4 (KRaft), PostgreSQL and FerretDB 1.24…"):
        infra.start_kafka()
        infra.start_ferretdb()
    created = asyncio.run(ensure_topics(infra.kafka_bootstrap()))
    console.print(
        f"Kafka on {infra.kafka_bootstrap()}, FerretDB on {infra.mongodb_url()} "
        f"({infra.postgres_version()} under it); "
        f"{len(created)} topics created"
    )
    if not services:
        return
    infra.start_mailsink()
    env = _infra_env()
    for service in SERVICES:
        start_service(service, env)
    with console.status("waiting for every service's /readyz…"):
        wait_ready(
            {s.name: s.probe_url() for s in SERVICES},
            {s.name: s.process for s in SERVICES},
            timeout,
        )
    status()
    console.print(
        f"\n[bold green]One Window is running.[/] Gateway: [bold]{SERVICES[-1].url()}[/]\n"
        f"Logs: {state_dir() / 'logs'}\nMail sent to applicants: {state_dir() / 'mail'}\n"
        f"Stop it with: [bold]make stop[/]"
    )


@stack.command()
def down(
    keep_infra: bool = typer.Option(False, help="Stop the services but keep Kafka and FerretDB."),
) -> None:
    """Stop every process this stack started (by pid file), services first."""
    managed_all = [*(s.process for s in reversed(SERVICES)), infra.MAILSINK]
    if not keep_infra:
        managed_all += [infra.FERRETDB, infra.POSTGRES, infra.KAFKA]
    for managed in managed_all:
        if managed.stop(timeout=30.0):
            console.print(f"stopped {managed.name}")
    console.print("[green]stopped[/]" if keep_infra else "[green]nothing of ours is running[/]")


@stack.command()
def status() -> None:
    """Each process of the stack: pid, address, readiness."""
    table = Table("process", "pid", "address", "state")
    rows: list[tuple[Managed, str, str]] = [
        (infra.KAFKA, infra.kafka_bootstrap(), ""),
        (infra.FERRETDB, infra.mongodb_url(), ""),
        (infra.POSTGRES, f"unix socket in {infra.postgres_socket_dir()}", ""),
        (infra.MAILSINK, f"smtp://127.0.0.1:{infra.MAILSINK_PORT}", ""),
    ]
    for managed, address, _ in rows:
        pid = managed.pid()
        table.add_row(managed.name, str(pid or "-"), address, "running" if pid else "stopped")
    for service in SERVICES:
        pid = service.process.pid()
        ok, _ = readyz(service.probe_url()) if pid else (False, "")
        state = "[green]ready[/]" if ok else ("[yellow]not ready[/]" if pid else "stopped")
        table.add_row(service.name, str(pid or "-"), service.url(), state)
    console.print(table)


@stack.command("env")
def env_() -> None:
    """Print the shell exports that point a client at the local stack."""
    for key, value in _infra_env().items():
        typer.echo(f"export {key}={value}")


@stack.command("test-infra")
def test_infra() -> None:
    """Provision and start Kafka and FerretDB for tests, unless URLs are set or Docker answers."""
    import os

    from onewindow.devstack.selection import Source, choose, docker_answers

    source = choose(os.environ, docker_answers)
    if source is Source.LOCAL:
        up(services=False, timeout=0)
    else:
        console.print(f"tests use {source}: nothing to provision")
