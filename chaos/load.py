"""Applications through the public API while faults happen: a closed loop of applicants,
each submitting (again, with the same idempotency key, while the gateway does not answer)
and waiting for the case's final event on the bus before the next one applies."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import httpx

from bench.applicants import Applicant, application_form
from bench.load import Watcher

SUBMIT_PATIENCE_S = 120.0


@dataclass
class Flow:
    """What the applicants did and saw; times are `time.time()`."""

    submitted: int = 0
    accepted: dict[str, float] = field(default_factory=dict)  # application id -> accepted at
    final_at: dict[str, float] = field(default_factory=dict)  # seen final on the bus
    refused_posts: dict[str, int] = field(default_factory=dict)  # answers other than 202
    ran_out: bool = False  # more applicants were wanted than the run had registered


async def submit(
    http: httpx.AsyncClient, applicant: Applicant, today: date, flow: Flow
) -> str | None:
    """POST one application until the gateway accepts it (the same idempotency key each
    time, so a retry after a lost answer is not a second case); its id, or None."""
    headers = {**applicant.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = application_form(applicant, today)
    flow.submitted += 1
    deadline = time.monotonic() + SUBMIT_PATIENCE_S
    pause = 0.2
    while time.monotonic() < deadline:
        try:
            response = await http.post("/v1/applications", json=body, headers=headers)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        else:
            if response.status_code == 202:
                application_id = str(response.json()["id"])
                flow.accepted[application_id] = time.time()
                return application_id
            key = str(response.status_code)
            if response.status_code < 500 and response.status_code != 429:
                if not _in_progress(response):
                    flow.refused_posts[key] = flow.refused_posts.get(key, 0) + 1
                    return None
                # 409 request-in-progress: the first try's gateway died holding the
                # key; "retry later" (its claim is taken over when its lease ends).
                key = "409 request-in-progress"
        flow.refused_posts[key] = flow.refused_posts.get(key, 0) + 1
        await asyncio.sleep(pause)
        pause = min(2.0, pause * 2)
    return None


def _in_progress(response: httpx.Response) -> bool:
    try:
        problem = response.json()
    except ValueError:
        return False
    kind = problem.get("type", "") if isinstance(problem, dict) else ""
    return response.status_code == 409 and str(kind).endswith("request-in-progress")


async def closed_loop(
    http: httpx.AsyncClient,
    watcher: Watcher,
    applicants: Sequence[Applicant],
    concurrency: int,
    today: date,
    flow: Flow,
    *,
    case_timeout_s: float = 300.0,
    more: Callable[[], Applicant | None] = lambda: None,
) -> None:
    """`concurrency` applicants in flight until each has applied once, then as long as
    `more` hands out another applicant."""
    queue = list(reversed(applicants))

    def next_applicant() -> Applicant | None:
        return queue.pop() if queue else more()

    async def slot() -> None:
        while (applicant := next_applicant()) is not None:
            application_id = await submit(http, applicant, today, flow)
            if application_id is None:
                continue
            with contextlib.suppress(TimeoutError):
                flow.final_at[application_id] = await asyncio.wait_for(
                    watcher.final(application_id), case_timeout_s
                )

    await asyncio.gather(*(slot() for _ in range(concurrency)))


async def wait_final(watcher: Watcher, flow: Flow, within_s: float) -> None:
    """Until every accepted case was seen final on the bus, or `within_s` passed."""
    pending = [a for a in flow.accepted if a not in flow.final_at]
    futures = {a: watcher.final(a) for a in pending}
    deadline = time.monotonic() + within_s
    for application_id, future in futures.items():
        left = deadline - time.monotonic()
        if left <= 0:
            future.cancel()
            continue
        with contextlib.suppress(TimeoutError):
            flow.final_at[application_id] = await asyncio.wait_for(future, left)


def rate(moments: Sequence[float], start: float, end: float) -> float | None:
    """Decisions per second between `start` and `end`."""
    if end <= start:
        return None
    return sum(1 for m in moments if start <= m < end) / (end - start)
