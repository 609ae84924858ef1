"""Load through the gateway's HTTP API: a closed loop for throughput, an open loop for latency.

Completion is detected without loading the gateway with polls: a bench consumer
(no group, never committing) watches `applications.events` for the case's final
event, and only then is the case read through `GET /v1/applications/{id}`: first
after the read model's recent lag behind the bus (at most a second), then after doubling
pauses (up to two seconds) until the read model shows the decision. A slow poll every 15 s covers a
watcher that missed something. The case counts as decided when the read model says
`approved` with both permits issued; its latency ends at the read model's
`decision.decided_at` (the saga's clock, the same host clock as the bench's).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.applicants import Applicant, application_form
from onewindow.contracts.topics import DEFAULT_PARTITIONS
from onewindow.contracts.v1 import applications as app

FINAL_TYPES = frozenset(
    {app.ApplicationApproved.TYPE, app.ApplicationRefused.TYPE, app.ApplicationWithdrawn.TYPE}
)
CONFIRM_FIRST_S = 0.05  # the read model may follow the bus within milliseconds…
CONFIRM_MAX_S = 2.0  # …or lag seconds behind under load: back off rather than add to it
LAG_WEIGHT = 0.2
FALLBACK_POLL_S = 15.0


@dataclass
class Outcome:
    """What happened to one application, in epoch seconds of the host clock."""

    application_id: str | None
    posted_at: float  # when the POST was due (open loop) or sent (closed loop)
    accepted_at: float | None = None  # when the 202 came back
    decided_at: float | None = None  # the read model's decision.decided_at
    bus_at: float | None = None  # when the bench's watcher saw the final event on the bus
    seen_at: float | None = None  # when GET first showed the final status
    status: str = "pending"  # approved, refused, withdrawn, timeout, rejected: <code>

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def latency_s(self) -> float | None:
        """From the POST to the decision, as the read model dates it."""
        return None if self.decided_at is None else self.decided_at - self.posted_at

    @property
    def read_model_lag_s(self) -> float | None:
        """From the final event on the bus to the client reading it (at most one pause late)."""
        if self.seen_at is None or self.bus_at is None:
            return None
        return self.seen_at - self.bus_at

    @property
    def seen_latency_s(self) -> float | None:
        """From the POST to the client reading the decision through the API."""
        return None if self.seen_at is None else self.seen_at - self.posted_at


class Watcher:
    """Follows `applications.events` from its end and wakes whoever waits for a case."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self._topic = topic
        self._final: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        partitions = [TopicPartition(self._topic, p) for p in range(DEFAULT_PARTITIONS)]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=1000)
            now = time.time()
            for records in batches.values():
                for record in records:
                    kind = dict(record.headers).get("ce_type", b"").decode()
                    if kind in FINAL_TYPES and record.key is not None:
                        self._done(record.key.decode(), now)

    def _done(self, application_id: str, at: float) -> None:
        self._final.setdefault(application_id, at)
        waiter = self._waiting.pop(application_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(at)

    def final(self, application_id: str) -> asyncio.Future[float]:
        """A future set when the case's final event is on the bus."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if application_id in self._final:
            future.set_result(self._final[application_id])
        else:
            self._waiting[application_id] = future
        return future


@dataclass
class Driver:
    """Submits applications and follows each to its decision."""

    http: httpx.AsyncClient
    watcher: Watcher
    today: date
    timeout_s: float
    posts: int = 0  # the bench's own requests, to tell its load on the gateway apart
    gets: int = 0
    lag_s: float = 0.0  # how far the read model trails the bus lately (moving average)

    async def run_one(self, person: Applicant, outcome: Outcome) -> Outcome:
        """POST the person's application and wait for the read model's decision."""
        headers = {**person.headers, "Idempotency-Key": str(uuid.uuid4())}
        self.posts += 1
        try:
            response = await self.http.post(
                "/v1/applications", json=application_form(person, self.today), headers=headers
            )
        except httpx.HTTPError as exc:
            outcome.status = f"rejected: {type(exc).__name__}"
            return outcome
        outcome.accepted_at = time.time()
        if response.status_code != 202:
            outcome.status = f"rejected: {response.status_code}"
            return outcome
        outcome.application_id = str(response.json()["id"])
        await self._follow(person, outcome)
        return outcome

    async def _follow(self, person: Applicant, outcome: Outcome) -> None:
        assert outcome.application_id is not None
        final = self.watcher.final(outcome.application_id)
        deadline = time.monotonic() + self.timeout_s
        pause: float | None = None
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(final), FALLBACK_POLL_S)
            if final.done() and pause is None:
                # The read model trails the bus; ask about when it usually catches up.
                pause = min(1.0, max(CONFIRM_FIRST_S, self.lag_s * 0.9))
                await asyncio.sleep(pause)
            view = await self._case(person, outcome.application_id)
            if view is not None and _decided(view):
                outcome.seen_at = time.time()
                outcome.decided_at = datetime.fromisoformat(
                    view["decision"]["decided_at"]
                ).timestamp()
                outcome.status = _status(view)
                if final.done():
                    outcome.bus_at = final.result()
                    lag = outcome.seen_at - outcome.bus_at
                    self.lag_s += (lag - self.lag_s) * LAG_WEIGHT
                return
            if pause is not None:
                pause = min(CONFIRM_MAX_S, pause * 2)
                await asyncio.sleep(pause)
        final.cancel()
        outcome.status = "timeout"

    async def _case(self, person: Applicant, application_id: str) -> dict[str, Any] | None:
        self.gets += 1
        try:
            response = await self.http.get(
                f"/v1/applications/{application_id}", headers=person.headers
            )
        except httpx.HTTPError:
            return None
        return dict(response.json()) if response.status_code == 200 else None


def _decided(view: dict[str, Any]) -> bool:
    return view.get("status") in app.FINAL_STATUSES and bool(view.get("decision"))


def _status(view: dict[str, Any]) -> str:
    issued = (
        view["work_permit"]["status"] == "issued" and view["residence_permit"]["status"] == "issued"
    )
    if view["status"] == "approved" and not issued:
        return "approved without both permits"
    return str(view["status"])


async def closed_loop(
    driver: Driver,
    people: Sequence[Applicant],
    concurrency: int,
    progress: Callable[[Outcome], None] = lambda _: None,
    *,
    seconds: float | None = None,
) -> list[Outcome]:
    """Keep `concurrency` applications in flight until every person has applied once,
    or until `seconds` have passed (then the ones in flight are followed to the end)."""
    queue = list(reversed(people))
    outcomes: list[Outcome] = []
    stop_at = time.monotonic() + seconds if seconds is not None else float("inf")

    async def applicant_slot() -> None:
        while queue and time.monotonic() < stop_at:
            person = queue.pop()
            outcome = await driver.run_one(person, Outcome(None, posted_at=time.time()))
            outcomes.append(outcome)
            progress(outcome)

    await asyncio.gather(*(applicant_slot() for _ in range(concurrency)))
    return outcomes


async def open_loop(
    driver: Driver,
    people: Sequence[Applicant],
    rate_per_s: float,
    progress: Callable[[Outcome], None] = lambda _: None,
) -> list[Outcome]:
    """Submit one application every 1/`rate_per_s` seconds, whatever the system's state.

    Each latency starts at the moment the POST was due, not when it went out, so a
    client that fell behind cannot hide the system's slowness (no coordinated omission)."""
    loop = asyncio.get_running_loop()
    start_mono, start_wall = loop.time() + 0.05, time.time() + 0.05
    tasks: list[asyncio.Task[Outcome]] = []

    async def one(person: Applicant, due: float) -> Outcome:
        outcome = await driver.run_one(person, Outcome(None, posted_at=due))
        progress(outcome)
        return outcome

    for i, person in enumerate(people):
        offset = i / rate_per_s
        await asyncio.sleep(max(0.0, start_mono + offset - loop.time()))
        tasks.append(asyncio.create_task(one(person, start_wall + offset)))
    return list(await asyncio.gather(*tasks))
