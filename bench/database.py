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
import itertools
import time
from collections.abc import Callable
from typing import Any

from bench.procstats import cpu_seconds
from bench.stats import summary
from onewindow.runtime.mongo import make_client

DOCUMENT_BYTES = 1500  # about an event-store commit with its outbox
PRELOADED = 500


async def database_baseline(
    mongodb_url: str,
    database: str,
    operations: int,
    *,
    concurrency: int = 8,
    server_pid: int | None = None,
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

        async def one(n: int) -> None:
            key = f"pre-{n % PRELOADED}"
            started = time.perf_counter()
            match n % 3:
                case 0:
                    await collection.insert_one({"_id": f"new-{n}", "version": 1, "body": body})
                case 1:
                    await collection.find_one({"_id": key})
                case _:
                    await collection.update_one({"_id": key}, {"$inc": {"version": 1}})
            latencies.append(time.perf_counter() - started)
            progress(1)

        async def client_at_work() -> None:
            while (n := next(counter)) < operations:
                await one(n)

        cpu_before = cpu_seconds(server_pid) if server_pid else None
        started = time.perf_counter()
        await asyncio.gather(*(client_at_work() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(server_pid) if server_pid else None
    finally:
        await client.drop_database(database)
        await client.close()
    server_cpu = (
        cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    )
    found = summary(latencies)
    return {
        "operations": len(latencies),
        "concurrency": concurrency,
        "document_bytes": DOCUMENT_BYTES,
        "operations_per_s": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "latency_ms": {k: v * 1000 for k, v in found.items() if k != "n"},
        "server_cpu_ms_per_operation": (
            server_cpu * 1000 / len(latencies) if server_cpu is not None and latencies else None
        ),
    }
