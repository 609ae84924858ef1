"""Delivery ids, masking, failure classes and the retry schedule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from onewindow.notifications.adapters.smtp import Mail, compose
from onewindow.notifications.domain.delivery import (
    DeliveryFailure,
    GiveUp,
    RetryPolicy,
    TryAgain,
    after_failure,
    delivery_id,
    mask_address,
    redact,
    smtp_failure,
    webhook_failure,
)
from onewindow.notifications.domain.notices import Notice, webhook_body

POLICY = RetryPolicy(
    first_delay=timedelta(seconds=5),
    max_delay=timedelta(minutes=5),
    max_attempts=6,
    give_up_after=timedelta(hours=1),
)
T0 = datetime(2027, 1, 4, 2, 30, tzinfo=UTC)


def test_one_event_to_one_recipient_over_one_channel_is_one_delivery() -> None:
    first = delivery_id("event-1", "anna@example.org", "email")
    assert delivery_id("event-1", "Anna@Example.org", "email") == first
    assert delivery_id("event-2", "anna@example.org", "email") != first
    assert delivery_id("event-1", "hr@example.com", "email") != first
    assert delivery_id("event-1", "anna@example.org", "webhook") != first


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("anna@example.org", "a***@example.org"),
        ("a@example.org", "a***@example.org"),
        ("no-at-sign", "***"),
        ("https://user:pw@hooks.example.com/secret/path?token=1", "https://hooks.example.com/***"),
    ],
)
def test_addresses_are_masked_for_logs(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_addresses_quoted_in_a_server_answer_are_masked() -> None:
    said = "5.1.1 <anna.dejong@example.org>: Recipient address rejected"
    assert redact(said) == "5.1.1 <a***@example.org>: Recipient address rejected"


@pytest.mark.parametrize(("code", "permanent"), [(421, False), (450, False), (550, True),
                                                 (554, True), (None, False)])  # fmt: skip
def test_smtp_5xx_is_permanent_and_the_rest_is_worth_another_try(
    code: int | None, permanent: bool
) -> None:
    assert smtp_failure(code, "x").permanent is permanent


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        *[(500, False), (503, False), (429, False), (408, False), (None, False)],
        *[(400, True), (404, True), (410, True), (301, True)],
    ],
)
def test_a_webhook_that_asks_for_later_is_retried(status: int | None, permanent: bool) -> None:
    assert webhook_failure(status, "x").permanent is permanent


def test_the_backoff_doubles_up_to_its_cap() -> None:
    delays = [POLICY.delay_after(n).total_seconds() for n in range(1, 9)]
    assert delays == [5, 10, 20, 40, 80, 160, 300, 300]


def test_a_temporary_failure_is_tried_again_after_the_backoff() -> None:
    step = after_failure(
        DeliveryFailure("421 busy", permanent=False),
        attempts=2, created_at=T0, now=T0 + timedelta(seconds=6), policy=POLICY,
    )  # fmt: skip
    assert step == TryAgain(T0 + timedelta(seconds=16))


def test_a_permanent_failure_ends_the_delivery_at_once() -> None:
    step = after_failure(
        DeliveryFailure("550 no such user", permanent=True),
        attempts=1, created_at=T0, now=T0, policy=POLICY,
    )  # fmt: skip
    assert step == GiveUp("550 no such user")


def test_too_many_attempts_end_the_delivery() -> None:
    step = after_failure(
        DeliveryFailure("connection refused", permanent=False),
        attempts=6, created_at=T0, now=T0 + timedelta(minutes=3), policy=POLICY,
    )  # fmt: skip
    assert isinstance(step, GiveUp)
    assert "6 attempts" in step.why


def test_a_delivery_too_old_for_another_try_ends() -> None:
    step = after_failure(
        DeliveryFailure("connection refused", permanent=False),
        attempts=2, created_at=T0, now=T0 + timedelta(minutes=59, seconds=55), policy=POLICY,
    )  # fmt: skip
    assert isinstance(step, GiveUp)


def test_the_mail_carries_the_delivery_id_as_its_message_id_and_both_parts() -> None:
    mail = Mail("0b6f7c2e-1d1e-5a8c-9a51-2f3c1f0f8d11", "anna@example.org", "申请已受理 | Received",
                "text 中文", "<p>html</p>", "zh")  # fmt: skip
    message = compose(mail, sender="One Window <noreply@onewindow.example.org>", date=T0)
    assert message["Message-ID"] == "<0b6f7c2e-1d1e-5a8c-9a51-2f3c1f0f8d11@onewindow.example.org>"
    assert message["Content-Language"] == "zh-CN, en"
    assert message["Subject"] == "申请已受理 | Received"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert parts["text/plain"].strip() == "text 中文"
    assert parts["text/html"].strip() == "<p>html</p>"


def test_two_mails_composed_one_after_the_other_are_each_what_the_standard_policy_makes() -> None:
    # The header classes are built once per process (`MAIL_POLICY`): nothing of one
    # message may leak into the next, and the bytes are the standard library's.
    def flat(message: EmailMessage) -> bytes:
        return re.sub(rb"=+\d+==", b"BOUNDARY", message.as_bytes())

    for subject, language in (("申请已受理 | Received", "zh"), ("Approved", "en")):
        mail = Mail("d-1", "anna@example.org", subject, f"text {subject}", "<p>h</p>", language)
        message = compose(mail, sender="One Window <noreply@onewindow.example.org>", date=T0)
        plain = EmailMessage()
        for name, value in message.items():
            if not name.lower().startswith(("content-", "mime-")):
                plain[name] = value
        plain.set_content(mail.text)
        plain.add_alternative(mail.html, subtype="html")
        plain["Content-Language"] = message["Content-Language"]
        assert message["Subject"] == subject
        assert flat(message) == flat(plain)


def test_a_webhook_body_is_json_ready_and_names_the_delivery() -> None:
    notice = Notice("approved", "OW-1", "employer", "en", "webhook", "https://h.example.com/",
                    {"decided_at": T0, "work_permit": {"valid_until": T0.date()}})  # fmt: skip
    body = webhook_body(notice, delivery_id="d-1", event_id="e-1")
    assert body == {
        "id": "d-1",
        "notice": "approved",
        "application_id": "OW-1",
        "event_id": "e-1",
        "facts": {
            "decided_at": "2027-01-04T02:30:00Z",
            "work_permit": {"valid_until": "2027-01-04"},
        },
    }
