"""The notifications service against real Kafka, the real database, a real SMTP server
(aiosmtpd, started here) and a real HTTP webhook receiver.

Events are published to the session's `applications.events` as the applications
service would publish them; the service runs in-process through its own host
lifespan (subscription, delivery loop, outbox relay), with its own consumer group
and database. Each test uses its own case ids and looks only at its own mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any, TypeVar

import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiosmtpd.controller import Controller

from onewindow.contracts.envelope import Envelope, build_headers, new_envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1.common import Language
from onewindow.contracts.v1.notifications import NotificationFailed, NotificationSent
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.notifications import examples
from onewindow.notifications.adapters.deliveries import Delivery
from onewindow.notifications.adapters.smtp import message_id_of
from onewindow.notifications.bootstrap import Notifications, build
from onewindow.notifications.domain.outcomes import DeliverySucceeded, outcome_stream
from onewindow.notifications.settings import NotificationsSettings
from onewindow.runtime.logs import JsonFormatter

pytestmark = pytest.mark.integration

SENDER = "One Window <noreply@onewindow.example.org>"
SUPERVISORS = "supervisors@example.org"
WAIT_S = 30.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(check: Callable[[], Any], within: float = WAIT_S) -> Any:
    """Poll `check` until it returns something truthy; fail with its last answer."""
    deadline = time.monotonic() + within
    while True:
        answer = check()
        if asyncio.iscoroutine(answer):
            answer = await answer
        if answer:
            return answer
        assert time.monotonic() < deadline, f"still {answer!r} after {within}s"
        await asyncio.sleep(0.1)


class MailServer:
    """An aiosmtpd server that keeps what it accepts, can refuse, and can go away."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[EmailMessage] = []
        self.refuse_with: str | None = None
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with is not None:
            return self.refuse_with
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mail_for(self, case_id: str) -> list[EmailMessage]:
        return [m for m in self.received if case_id in str(m["Subject"])]


@dataclass
class WebhookReceiver:
    """A loopback HTTP endpoint that keeps every POST (headers, JSON body)."""

    port: int
    posts: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            chunk = await receive()
            body, more = body + chunk.get("body", b""), chunk.get("more_body", False)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.posts.append((headers, json.loads(body)))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def posts_for(self, case_id: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
        return [(h, b) for h, b in self.posts if b["application_id"] == case_id]


@dataclass
class Running:
    service: Notifications
    mail: MailServer
    hooks: WebhookReceiver
    reports: list[tuple[str, dict[str, Any]]]
    producer: AIOKafkaProducer
    topic: str

    async def publish(self, message: Message, envelope: Envelope | None = None) -> Envelope:
        case_id = str(getattr(message, "application_id", ""))
        envelope = envelope or new_envelope(
            message.TYPE, source="onewindow/applications", correlation_id=case_id
        )
        await self.producer.send_and_wait(
            self.topic,
            message.model_dump_json().encode(),
            key=case_id.encode(),
            headers=build_headers(envelope),
        )
        return envelope

    def reported(self, kind: type[Message], case_id: str) -> list[dict[str, Any]]:
        return [p for t, p in self.reports if t == kind.TYPE and p["application_id"] == case_id]


def at_least(count: int, found: Callable[[], list[T]]) -> Callable[[], list[T] | None]:
    """A check for `eventually`: what `found` answers, once it holds `count` items."""
    return lambda: items if len(items := found()) >= count else None


async def settled(running: Running, event_id: str) -> list[Delivery]:
    """The deliveries of an event once none is pending any more."""

    async def check() -> list[Delivery] | None:
        found = await running.service.deliveries.of_event(event_id)
        return found if found and all(d.state != "pending" for d in found) else None

    found: list[Delivery] = await eventually(check)
    return found


async def settled_one(running: Running, delivery_id: str) -> Delivery:
    """A delivery once it is no longer pending."""

    async def check() -> Delivery | None:
        found = await running.service.deliveries.get(delivery_id)
        return found if found is not None and found.state != "pending" else None

    found: Delivery = await eventually(check)
    return found


def new_case() -> str:
    return f"OW-T-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
async def running(infrastructure: Infrastructure) -> AsyncIterator[Running]:
    mail, hooks = MailServer(free_port()), WebhookReceiver(free_port())
    mail.start()
    web = uvicorn.Server(uvicorn.Config(hooks, port=hooks.port, lifespan="off", log_level="error"))
    web_task = asyncio.create_task(web.serve())
    suffix = uuid.uuid4().hex[:6]
    settings = NotificationsSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=f"{infrastructure.namespace}_nt{suffix}",
        consumer_group=f"notifications-test-{suffix}",
        smtp_port=mail.port,
        smtp_timeout_s=1.0,
        webhook_timeout_s=1.0,
        from_address=SENDER,
        supervisor_email=SUPERVISORS,
        webhooks={examples.USCC: f"http://127.0.0.1:{hooks.port}/onewindow"},
        retry_first_delay_s=0.2,
        retry_max_delay_s=1.0,
        retry_max_attempts=100,
        retry_give_up_after_s=600.0,
        poll_interval_s=0.2,
        lease_s=1.0,
    )
    service = build(settings)
    reports: list[tuple[str, dict[str, Any]]] = []
    consumer = AIOKafkaConsumer(
        infrastructure.topic("notifications.events"),
        bootstrap_servers=infrastructure.kafka_bootstrap,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap)
    await consumer.start()
    await producer.start()

    async def collect() -> None:
        async for record in consumer:
            kind = dict(record.headers).get("ce_type", b"").decode()
            reports.append((kind, json.loads(record.value or b"{}")))

    collector = asyncio.create_task(collect())
    app = service.host.build_app()
    async with service.host.lifespan(app):
        await eventually(lambda: _ready(service), within=60)
        yield Running(
            service, mail, hooks, reports, producer, infrastructure.topic("applications.events")
        )
    collector.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await collector
    await consumer.stop()
    await producer.stop()
    web.should_exit = True
    await web_task
    mail.stop()


async def _ready(service: Notifications) -> bool:
    return all(v == "ok" for v in (await service.host.readiness()).values())


def first_language(message: EmailMessage) -> str:
    return str(message["Content-Language"]).split(",")[0].strip()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


# template → (words of its subject in English, in Chinese)
SUBJECTS = {
    "received": ("Application received", "申请已受理"),
    "documents_requested": ("Documents needed", "请补正材料"),
    "approved": ("Application approved", "申请已批准"),
    "refused": ("Application refused", "申请未获批准"),
    "withdrawn": ("Application withdrawn", "申请已撤回"),
    "deadline_escalated": ("Decision overdue", "办理超期"),
}
GREETINGS = {"applicant": ("Dear applicant", "尊敬的申请人"),
             "employer": ("Dear employer contact", "尊敬的用人单位联系人"),
             "supervisor": ("Dear supervisor", "主管领导")}  # fmt: skip


def mail_reports(running: Running, case_id: str) -> list[dict[str, Any]]:
    return [r for r in running.reported(NotificationSent, case_id) if r["channel"] == "email"]


def masked(address: str) -> str:
    return f"{address[0]}***@{address.split('@')[1]}"


async def test_each_event_reaches_exactly_its_recipients_in_their_language(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # case → (template, language, {recipient: audience})
    cases: dict[str, tuple[str, str, dict[str, str]]] = {}
    everyone = {examples.APPLICANT: "applicant", examples.EMPLOYER: "employer"}
    for number, (template, make) in enumerate(examples.TOLD.items()):
        case_id = new_case()
        language: Language = "en" if number % 2 == 0 else "zh"
        await running.publish(examples.status_changed(case_id))  # nobody is told of this one
        await running.publish(make(case_id, examples.contact(language)))
        if template == "deadline_escalated":
            cases[case_id] = (template, "zh", {SUPERVISORS: "supervisor"})
        elif template == "documents_requested":
            cases[case_id] = (template, language, {examples.APPLICANT: "applicant"})
        else:
            cases[case_id] = (template, language, everyone)

    for case_id, (template, told_in, recipients) in cases.items():
        mails = await eventually(at_least(len(recipients), partial(running.mail.mail_for, case_id)))
        assert {str(m["To"]) for m in mails} == set(recipients)
        first = 0 if told_in == "en" else 1
        for message in mails:
            audience = recipients[str(message["To"])]
            assert first_language(message) == ("en", "zh-CN")[first]
            assert str(message["Subject"]).startswith(SUBJECTS[template][first])
            assert SUBJECTS[template][1 - first] in str(message["Subject"])
            text = text_of(message)
            primary, secondary = GREETINGS[audience][first], GREETINGS[audience][1 - first]
            assert text.startswith(primary)
            assert text.index(secondary) > 0
            assert message.get_body(("html",)) is not None
        sent = await eventually(at_least(len(recipients), partial(mail_reports, running, case_id)))
        assert {r["recipient"] for r in sent} == {masked(a) for a in recipients}
        assert {r["template"] for r in sent} == {template}

    await asyncio.sleep(1.0)  # anything extra would have arrived by now
    for case_id, (template, _, recipients) in cases.items():
        assert len(running.mail.mail_for(case_id)) == len(recipients), template
        # Only the start of a case names the employer; the webhook hears of that case.
        assert len(running.hooks.posts_for(case_id)) == (1 if template == "received" else 0)
    # What the service logged names cases and masked addresses, never a whole address.
    # (`mail.log` is aiosmtpd: the test's own SMTP server, which logs whole addresses.)
    ours = [r for r in caplog.records if not r.name.startswith("mail.")]
    lines = [JsonFormatter("notifications").format(r) for r in ours]
    assert any(masked(examples.APPLICANT) in line for line in lines)
    for address in (examples.APPLICANT, examples.EMPLOYER, SUPERVISORS):
        assert not [line for line in lines if address in line]


async def test_the_employers_webhook_hears_of_the_start_and_the_decision(running: Running) -> None:
    case_id = new_case()
    received = await running.publish(examples.received(case_id))
    approved = await running.publish(examples.approved(case_id))
    posts = await eventually(at_least(2, partial(running.hooks.posts_for, case_id)))
    # Deliveries go out side by side, so the order of arrival is not promised.
    by_notice = {body["notice"]: (headers, body) for headers, body in posts}
    assert {n: b["event_id"] for n, (_, b) in by_notice.items()} == {
        "received": received.id,
        "approved": approved.id,
    }
    for headers, body in posts:
        assert headers["idempotency-key"] == body["id"]
    assert by_notice["approved"][1]["facts"]["work_permit"] == {
        "number": "WP310104202700042",
        "valid_until": "2030-01-03",
    }
    await asyncio.sleep(0.5)
    assert len(running.hooks.posts_for(case_id)) == 2


async def test_a_refusal_names_the_legal_basis_of_every_reason(running: Running) -> None:
    case_id = new_case()
    await running.publish(examples.received(case_id))  # names the employer (its webhook)
    refused = await running.publish(examples.refused(case_id))
    mails = await eventually(at_least(4, partial(running.mail.mail_for, case_id)))
    refusals = [m for m in mails if "refused" in str(m["Subject"])]
    assert len(refusals) == 2  # the applicant and the employer
    for message in refusals:
        text = text_of(message)
        for basis in ("fwp-2017.1-shanghai §5.3", "one-window-2026.1-shanghai §9.1"):
            assert f"legal basis: {basis}" in text
            assert f"法律依据：{basis}" in text
    posts = await eventually(at_least(2, partial(running.hooks.posts_for, case_id)))
    [body] = [b for _, b in posts if b["event_id"] == refused.id]
    assert [r["legal_basis"] for r in body["facts"]["reasons"]] == [
        "fwp-2017.1-shanghai §5.3",
        "one-window-2026.1-shanghai §9.1",
    ]


async def test_the_same_event_delivered_three_times_yields_one_email(running: Running) -> None:
    case_id = new_case()
    event = examples.approved(case_id)
    envelope = await running.publish(event)
    await running.publish(event, envelope)
    await running.publish(event, envelope)
    # Later on the same partition: once its mail is here, the repeats were handled too.
    await running.publish(examples.withdrawn(case_id))
    await eventually(
        lambda: sum("withdrawn" in str(m["Subject"]) for m in running.mail.mail_for(case_id)) == 2
    )
    approvals = [m for m in running.mail.mail_for(case_id) if "approved" in str(m["Subject"])]
    assert sorted(str(m["To"]) for m in approvals) == sorted(
        [examples.APPLICANT, examples.EMPLOYER]
    )
    deliveries = await settled(running, envelope.id)
    assert {str(m["Message-ID"]) for m in approvals} == {
        message_id_of(d.id, SENDER) for d in deliveries
    }
    assert all(d.state == "sent" for d in deliveries)


async def test_mail_waits_while_the_server_is_down_and_arrives_once_it_is_back(
    running: Running,
) -> None:
    case_id = new_case()
    running.mail.stop()
    try:
        envelope = await running.publish(
            examples.withdrawn(case_id, examples.contact(employer=None))
        )

        async def retried() -> bool:
            found = await running.service.deliveries.of_event(envelope.id)
            return bool(found) and found[0].attempts >= 3 and found[0].state == "pending"

        await eventually(retried)
        assert running.mail.mail_for(case_id) == []
    finally:
        running.mail.start()
    (mail,) = await eventually(lambda: running.mail.mail_for(case_id))
    assert str(mail["To"]) == examples.APPLICANT
    (sent,) = await eventually(lambda: running.reported(NotificationSent, case_id))
    assert sent["cause_event_id"] == envelope.id
    (delivery,) = await settled(running, envelope.id)
    assert delivery.state == "sent"
    assert delivery.attempts >= 3  # at least two refused connections, then the one that went
    assert delivery.last_error is not None
    await asyncio.sleep(1.0)
    assert len(running.mail.mail_for(case_id)) == 1


async def test_a_permanent_refusal_is_reported_and_later_events_still_flow(
    running: Running,
) -> None:
    case_id = new_case()
    running.mail.refuse_with = "550 5.1.1 <anna.dejong@example.org>: mailbox unavailable"
    try:
        refused = await running.publish(examples.received(case_id))
        failures = await eventually(
            at_least(2, partial(running.reported, NotificationFailed, case_id))
        )
    finally:
        running.mail.refuse_with = None
    assert {f["recipient"] for f in failures} == {
        masked(examples.APPLICANT),
        masked(examples.EMPLOYER),
    }
    for failure in failures:
        assert failure["cause_event_id"] == refused.id
        assert failure["attempts"] == 1
        assert failure["error"].startswith("550")
        assert "anna.dejong" not in failure["error"]
    # The same case, the same partition: the next event is not held up.
    await running.publish(examples.approved(case_id))
    mails = await eventually(at_least(2, partial(running.mail.mail_for, case_id)))
    assert all("approved" in str(m["Subject"]) for m in mails)
    states = {d.channel: d.state for d in await settled(running, refused.id)}
    assert states == {"email": "failed", "webhook": "sent"}  # the webhook was not refused


def second_replica(running: Running) -> Notifications:
    settings = running.service.host.settings
    assert isinstance(settings, NotificationsSettings)
    return build(settings, owner=f"replica-{uuid.uuid4().hex[:6]}")


async def test_replicas_given_the_same_events_send_each_email_once(running: Running) -> None:
    replicas = [running.service, second_replica(running), second_replica(running)]
    cases = [new_case() for _ in range(5)]
    for case_id in cases:
        event = examples.refused(case_id)
        envelope = new_envelope(event.TYPE, source="onewindow/applications", correlation_id=case_id)
        await asyncio.gather(*(r.intake.on_event(event, envelope) for r in replicas))
        ids = [d.id for d in await running.service.deliveries.of_event(envelope.id)]
        await asyncio.gather(*(r.dispatcher.attempt_all(ids) for r in replicas))
    for case_id in cases:
        mails = await eventually(at_least(2, partial(running.mail.mail_for, case_id)))
        assert {str(m["To"]) for m in mails} == {examples.APPLICANT, examples.EMPLOYER}
    await asyncio.sleep(1.0)
    assert [len(running.mail.mail_for(case_id)) for case_id in cases] == [2] * len(cases)


async def claimed_by_a_crashed_replica(running: Running, case_id: str) -> str:
    """A delivery recorded and claimed by a replica that then died; its id."""
    event = examples.withdrawn(case_id, examples.contact(employer=None))
    envelope = new_envelope(event.TYPE, source="onewindow/applications", correlation_id=case_id)
    (delivery,) = await running.service.intake.deliveries_for(event, envelope)
    now = delivery.created_at
    # Due in a second, so the live service's loop cannot take it before the crashed one.
    delivery = replace(delivery, next_attempt_at=now + timedelta(seconds=1))
    assert await running.service.deliveries.record(delivery)
    claimed = await running.service.deliveries.claim(
        delivery.id, owner="crashed", now=now + timedelta(seconds=1), lease=timedelta(seconds=2)
    )
    assert claimed is not None
    return delivery.id


async def test_a_delivery_a_crashed_replica_held_is_resumed_and_sent_once(
    running: Running,
) -> None:
    case_id = new_case()
    delivery_id = await claimed_by_a_crashed_replica(running, case_id)
    (mail,) = await eventually(lambda: running.mail.mail_for(case_id))
    assert str(mail["Message-ID"]) == message_id_of(delivery_id, SENDER)
    delivery = await settled_one(running, delivery_id)
    assert delivery.state == "sent"
    assert delivery.attempts == 2  # the crashed replica's attempt, and the one that sent
    await asyncio.sleep(0.5)
    assert len(running.mail.mail_for(case_id)) == 1


async def test_a_replica_that_crashed_after_recording_the_outcome_is_not_repeated(
    running: Running,
) -> None:
    case_id = new_case()
    delivery_id = await claimed_by_a_crashed_replica(running, case_id)
    # The crashed replica had sent the mail and committed the outcome, then died
    # before settling the delivery log.
    outcome = DeliverySucceeded(delivery_id=delivery_id, at=datetime.now(UTC), attempts=1)
    await running.service.store.append(outcome_stream(delivery_id), 0, [outcome])
    delivery = await settled_one(running, delivery_id)
    assert delivery.state == "sent"
    await asyncio.sleep(0.5)
    assert running.mail.mail_for(case_id) == []
