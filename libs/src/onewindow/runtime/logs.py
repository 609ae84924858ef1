"""Structured JSON logs, one object a line, carrying correlation and causation ids."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)
causation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "causation_id", default=None
)
# The id of the message being handled: the causation id of whatever its handling sends.
message_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("message_id", default=None)


@contextlib.contextmanager
def message_context(
    *, correlation: str | None, causation: str | None, message: str | None
) -> Iterator[None]:
    """Tag every log line written inside the block with the ids of one message."""
    tokens = (
        correlation_id.set(correlation),
        causation_id.set(causation),
        message_id.set(message),
    )
    try:
        yield
    finally:
        message_id.reset(tokens[2])
        causation_id.reset(tokens[1])
        correlation_id.reset(tokens[0])


_STANDARD = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON with the ids of the message being handled."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (cid := correlation_id.get()) is not None:
            entry["correlation_id"] = cid
        if (cause := causation_id.get()) is not None:
            entry["causation_id"] = cause
        if (handling := message_id.get()) is not None:
            entry["message_id"] = handling
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route every logger of the process to stdout as JSON lines."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request's URL at INFO, and a URL may name a person (the registry's
    # `/watchlist/{nationality}/{passport_number}`): its warnings are enough.
    for noisy in ("aiokafka", "pymongo", "uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
