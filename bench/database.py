"""What the database allows on this machine: a third baseline beside the broker's two.

The services wait on the database far more than they compute, so the bench also
measures the database alone with the commands the services send most (found by
`bench.dbtrace`): insert one document, find one by `_id`, update one by `_id`, in
equal shares, with documents the size of an event-store commit, from a few
concurrent clients built as the services build theirs. Divided by the database
commands one application costs, it gives the ceiling the database sets.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pymongo.errors import PyMongoError

from bench.procstats import cpu_seconds
from bench.stats import summary
from onewindow.devstack import infra
from onewindow.devstack.processes import Managed
from onewindow.runtime.mongo import make_client

DOCUMENT_BYTES = 1500  # about an event-store commit with its outbox
PRELOADED = 500


async def database_baseline(
    mongodb_url: str,
    database: str,
    operations: int,
    *,
    concurrency: int = 8,
    server_pids: Sequence[int] = (),
    progress: Callable[[int], None] = lambda _: None,
) -> dict[str, Any]:
    """Run `operations` commands against a fresh collection of `database`; drop it after."""
    client = make_client(mongodb_url)
    collection = client[database]["probe"]
    body = "x" * DOCUMENT_BYTES
    try:
        await collection.insert_many(
            [{"_id": f"pre-{i}", "version": 0, "body": body} for i in range(PRELOADED)]
        )
        counter = itertools.count()
        latencies: list[float] = []
        errors: dict[str, int] = {}

        async def one(n: int) -> None:
            key = f"pre-{n % PRELOADED}"
            started = time.perf_counter()
            try:
                match n % 3:
                    case 0:
                        await collection.insert_one({"_id": f"new-{n}", "version": 1, "body": body})
                    case 1:
                        await collection.find_one({"_id": key})
                    case _:
                        await collection.update_one({"_id": key}, {"$inc": {"version": 1}})
            except PyMongoError as exc:  # e.g. SQLite's "database is locked"
                errors[type(exc).__name__ + ": " + str(exc)[:80]] = (
                    errors.get(type(exc).__name__ + ": " + str(exc)[:80], 0) + 1
                )
            else:
                latencies.append(time.perf_counter() - started)
            progress(1)

        async def client_at_work() -> None:
            while (n := next(counter)) < operations:
                await one(n)

        cpu_before = _cpu(server_pids)
        started = time.perf_counter()
        await asyncio.gather(*(client_at_work() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu_after = _cpu(server_pids)
    finally:
        await client.drop_database(database)
        await client.close()
    server_cpu = (
        cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    )
    found = summary(latencies)
    return {
        "operations": len(latencies),
        "failed": sum(errors.values()),
        "errors": errors,
        "concurrency": concurrency,
        "document_bytes": DOCUMENT_BYTES,
        "operations_per_s": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "latency_ms": {k: v * 1000 for k, v in found.items() if k != "n"},
        "server_cpu_ms_per_operation": (
            server_cpu * 1000 / len(latencies) if server_cpu is not None and latencies else None
        ),
    }


def _cpu(pids: Sequence[int]) -> float | None:
    if not pids:
        return None
    readings = [cpu_seconds(pid, tree=True) for pid in pids]
    return sum(r for r in readings if r is not None) if None not in readings else None


@contextlib.contextmanager
def sqlite_ferretdb(namespace: str) -> Iterator[tuple[str, int]]:
    """A second FerretDB on its SQLite backend (what the local stack ran before), on a
    free loopback port with data in a temporary folder: (URL, pid), stopped after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    managed = Managed(f"{namespace}-ferretdb-sqlite")
    with tempfile.TemporaryDirectory(prefix="onewindow-sqlite-") as folder:
        pid = managed.start(
            [
                str(infra.ferretdb_binary()),
                f"--listen-addr=127.0.0.1:{port}",
                "--handler=sqlite",
                f"--sqlite-dir={folder}",
            ]
        )
        try:
            infra.wait_for_port(port, "FerretDB (SQLite)", managed, timeout=60)
            yield f"mongodb://127.0.0.1:{port}/", pid
        finally:
            managed.stop()
