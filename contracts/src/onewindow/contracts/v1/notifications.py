"""Notifications: what was delivered, and what could not be."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from onewindow.contracts.message import Event


class NotificationsEvent(Event):
    CONTEXT = "notifications"


class NotificationSent(NotificationsEvent):
    notification_id: str
    application_id: str
    cause_event_id: str
    channel: Literal["email", "webhook"]
    recipient: str  # masked, e.g. a***@example.org
    template: str
    sent_at: datetime


class NotificationFailed(NotificationsEvent):
    notification_id: str
    application_id: str
    cause_event_id: str
    channel: Literal["email", "webhook"]
    recipient: str  # masked
    template: str
    error: str
    attempts: int
    failed_at: datetime
