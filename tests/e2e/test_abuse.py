"""Abuse at the public door, against the real gateway process: an account that opens a
thousand event streams is refused with 429 after its limits, and the database does not
notice (the refusals read nothing)."""

from __future__ import annotations

import asyncio
import re
from contextlib import AsyncExitStack

import httpx
import pytest

from onewindow.cli.seeding import Gateway, Person
from onewindow.devstack.pytest_plugin import RunningServices
from onewindow.runtime.clock import SystemClock, local_today

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
OPEN_STREAMS = 5  # the gateway's default cap per account
TODAY = local_today(SystemClock())
ATTEMPTS = 1_000
IDLE_S = 10.0


async def database_commands(http: httpx.AsyncClient) -> int:
    """The gateway process's database commands so far (its /metrics)."""
    text = (await http.get("/metrics")).text
    return sum(
        int(float(value))
        for value in re.findall(r"^onewindow_db_commands_total\{[^}]*\} (\S+)$", text, re.M)
    )


async def test_a_thousand_event_streams_from_one_account_get_429_and_the_database_stays_flat(
    gateway: Gateway, services: RunningServices
) -> None:
    management = httpx.AsyncClient(base_url=services.probe_urls["gateway"], timeout=10)
    # A case that stays open (waiting for the health certificate), so its streams stay open.
    kim = Person()
    await gateway.register(kim, kinds=("degree", "criminal_record"))
    submitted = await gateway.submit(kim, gateway.application(kim, today=TODAY))
    application_id = submitted.json()["id"]
    await gateway.wait_for(kim, application_id, {"awaiting_documents"})
    path = f"/v1/applications/{application_id}/events"

    async with AsyncExitStack() as held:
        for _ in range(OPEN_STREAMS):
            stream = await held.enter_async_context(
                gateway.http.stream("GET", path, headers=kim.headers, timeout=60)
            )
            assert stream.status_code == 200
        one_more = await gateway.http.get(path, headers=kim.headers)
        assert one_more.status_code == 429
        assert one_more.headers["content-type"].startswith("application/problem+json")
        assert int(one_more.headers["retry-after"]) >= 1

        # The baseline: the open streams (each reads its view every 5 s), nothing else.
        before = await database_commands(management)
        await asyncio.sleep(IDLE_S)
        idle = await database_commands(management) - before

        started = asyncio.get_running_loop().time()
        answers: list[int] = []
        for batch in range(0, ATTEMPTS, 50):
            replies = await asyncio.gather(
                *(gateway.http.get(path, headers=kim.headers) for _ in range(50))
            )
            answers += [r.status_code for r in replies]
            assert batch < ATTEMPTS
        took = asyncio.get_running_loop().time() - started
        during = await database_commands(management) - before - idle

    assert answers.count(429) == ATTEMPTS, set(answers)  # every one refused at the door
    # What the burst cost the database beyond the idle streams' own polling: the few
    # opens the pace let through before the cap (two reads each), nothing per refusal.
    allowance = idle / IDLE_S * (took + 5) + 2 * 30 + 20
    print(
        f"{ATTEMPTS} refused in {took:.1f} s; database commands {during} "
        f"(idle: {idle} in {IDLE_S} s; allowed {allowance:.0f})"
    )
    assert during <= allowance, (during, allowance)
    stranger = await gateway.http.get(path, headers=Person().headers)
    assert stranger.status_code == 404  # before any header: not a stream that ends at once
    assert stranger.headers["content-type"].startswith("application/problem+json")
    await management.aclose()


async def test_metrics_and_readiness_are_not_on_the_public_port(
    gateway: Gateway, services: RunningServices
) -> None:
    # Anyone who reaches the gateway's address sees no metrics and no dependency state ...
    for path in ("/metrics", "/readyz"):
        public = await gateway.http.get(path)
        assert public.status_code == 404, (path, public.text)
        assert "onewindow_" not in public.text
        assert "kafka" not in public.text
    assert (await gateway.http.get("/healthz")).status_code == 200
    # ... while the probes and Prometheus find them on the management port (on loopback),
    # which in turn serves none of the API.
    async with httpx.AsyncClient(base_url=services.probe_urls["gateway"], timeout=10) as ops:
        assert (await ops.get("/readyz")).json()["checks"] == {"kafka": "ok", "database": "ok"}
        assert "onewindow_db_commands_total" in (await ops.get("/metrics")).text
        assert (await ops.get("/v1/applications")).status_code == 404
