"""The faults a scenario injects while its applications flow. Each runs until `stop` is
set and returns what it did: every fault with the moment it happened (`time.time()`)."""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer

from chaos.faults import POISON_PREFIX
from chaos.stack import ChaosStack, _service_of
from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1.applications import Actor, WithdrawApplication
from onewindow.contracts.v1.identity import CloseCase
from onewindow.contracts.v1.work_permit import IssueWorkPermit
from onewindow.devstack.supervisor import Child


@dataclass
class Fault:
    kind: str  # sigkill, sigterm, kafka, database, poison
    target: str
    at: float
    back_at: float | None = None  # when the target ran (and answered) again
    detail: dict[str, Any] = field(default_factory=dict)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """True if `stop` was set within `seconds`."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def kill_service(
    stack: ChaosStack, child: Child, faults: list[Fault], sig: signal.Signals
) -> Fault:
    pid = stack.signal(child, sig)
    fault = Fault("sigkill" if sig == signal.SIGKILL else "sigterm", child.name, time.time())
    faults.append(fault)
    if await stack.wait_restarted(child, pid) is not None:
        fault.back_at = time.time()
    return fault


async def random_kills(
    stack: ChaosStack,
    stop: asyncio.Event,
    period_s: float,
    *,
    chance: random.Random,
    infra_plan: list[str] | None = None,
    service_kills: int | None = None,
) -> list[Fault]:
    """At once and then every `period_s` until `stop`: SIGKILL a random service process,
    or (every other turn, in `infra_plan`'s order) kill Kafka or the database and start it
    again. Goes on past `stop`, at the same pace, until every fault of `infra_plan`
    happened (and the last one is back); kills at most `service_kills` service processes
    (if given)."""
    faults: list[Fault] = []
    pending: list[asyncio.Task[Any]] = []
    plan = list(infra_plan or [])
    turn = 0
    while True:
        turn += 1
        if plan and turn % 2 == 0:
            pending.append(asyncio.create_task(restart_infra(stack, plan.pop(0), faults)))
        elif service_kills is None or service_kills > 0:
            victim = chance.choice(stack.plan.children)
            pending.append(asyncio.create_task(kill_service(stack, victim, faults, signal.SIGKILL)))
            service_kills = None if service_kills is None else service_kills - 1
        if plan:  # the plan is played at its pace whether or not `stop` was set
            await asyncio.sleep(period_s)
        elif await _sleep_or_stop(stop, period_s):
            break
    await asyncio.gather(*pending)
    return faults


async def restart_infra(stack: ChaosStack, kind: str, faults: list[Fault]) -> Fault:
    """SIGKILL Kafka, or the database (FerretDB and the PostgreSQL under it), then start it
    again, as a process manager would."""
    fault = Fault(kind, kind, time.time())
    faults.append(fault)
    if kind == "kafka":
        await asyncio.to_thread(stack.kafka.kill)
    else:
        await asyncio.to_thread(stack.database.kill)
        await asyncio.to_thread(stack.postgres.kill)
    # Where a restart's time goes: the kill (until the port is free), then the start
    # (until the server accepts connections again).
    fault.detail["killed_in_s"] = round(time.time() - fault.at, 2)
    start: Callable[[], None] = stack.kafka.start if kind == "kafka" else stack.database.start
    for attempt in range(1, 4):
        starting = time.time()
        try:
            await asyncio.to_thread(start)
        except RuntimeError as exc:
            fault.detail.setdefault("start_errors", []).append(str(exc)[-300:])
            await asyncio.sleep(attempt)
        else:
            fault.back_at = time.time()
            fault.detail["started_in_s"] = round(fault.back_at - starting, 2)
            break
    return fault


async def rolling_restart(stack: ChaosStack, limit: int | None = None) -> list[Fault]:
    """SIGTERM every service process once (the first `limit`, if given), one after the
    other, each once the one before is back and ready, as a rolling deploy would."""
    faults: list[Fault] = []
    for child in list(stack.plan.children)[:limit]:
        pid = stack.signal(child, signal.SIGTERM)
        fault = Fault("sigterm", child.name, time.time())
        faults.append(fault)
        began = time.monotonic()
        while pid is not None and _alive(pid):  # noqa: ASYNC110 - a process, not an event
            await asyncio.sleep(0.05)
        fault.detail["stopped_in_s"] = round(time.monotonic() - began, 2)
        if await stack.wait_restarted(child, pid) is not None:
            fault.back_at = time.time()
        fault.detail["exit"] = stack.plan.state().get(child.name, {}).get("last_exit")
    return faults


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def poison_messages() -> dict[str, Message]:
    """One message per command topic; sent under a `poison-` correlation id, its handler
    fails every time (see `chaos.faults`)."""
    actor = Actor(sub="chaos", role="operator")
    return {
        "applications.commands": WithdrawApplication(application_id="x", requested_by=actor),
        "identity.commands": CloseCase(application_id="x", outcome="withdrawn"),
        "work-permit.commands": IssueWorkPermit(application_id="x"),
        "residence-permit.commands": CloseCase(application_id="x", outcome="withdrawn"),
    }


async def send_poison(stack: ChaosStack) -> list[Fault]:
    """A poison message on each command topic, now."""
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka.bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    faults = []
    try:
        for topic, template in poison_messages().items():
            case = f"{POISON_PREFIX}{uuid.uuid4()}"
            message = template.model_copy(update={"application_id": case})
            envelope = new_envelope(message.TYPE, source="onewindow/chaos", correlation_id=case)
            sent = await producer.send_and_wait(
                stack.topic_prefix + topic,
                message.model_dump_json().encode(),
                key=case.encode(),
                headers=build_headers(envelope),
            )
            detail = {"topic": topic, "partition": sent.partition, "offset": sent.offset}
            faults.append(Fault("poison", case, time.time(), detail=detail))
    finally:
        await producer.stop()
    return faults


def service_of(stack: ChaosStack, process: str) -> str:
    return _service_of(process, stack.namespace)
