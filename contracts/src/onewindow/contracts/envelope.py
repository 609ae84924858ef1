"""The CloudEvents 1.0 envelope of every message, in the Kafka protocol binding's binary mode.

The record value is the JSON payload; the context attributes travel as headers named
`ce_<attribute>` with UTF-8 values, and `datacontenttype` travels as `content-type`
(CloudEvents Kafka Protocol Binding 1.0, section 3.2). Two extension attributes carry
the conversation: `correlationid` (the application id) and `causationid` (the id of the
message that caused this one); W3C `traceparent` carries the trace. Headers hold ids and
types only, never personal data: that stays in the payload.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

SPECVERSION = "1.0"
JSON = "application/json"
# Namespace of the deterministic message ids (uuid5), fixed once for the whole bus.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:onewindow:message")

# Header name of each attribute, in the order they are written.
HEADERS: dict[str, str] = {
    "id": "ce_id",
    "source": "ce_source",
    "type": "ce_type",
    "specversion": "ce_specversion",
    "time": "ce_time",
    "subject": "ce_subject",
    "correlation_id": "ce_correlationid",
    "causation_id": "ce_causationid",
    "content_type": "content-type",
    "traceparent": "traceparent",
}

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<clock>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})"
)


class InvalidEnvelope(ValueError):
    """Headers that do not make a valid envelope; the message names the attribute."""

    def __init__(self, attribute: str, problem: str) -> None:
        super().__init__(f"{attribute}: {problem}")
        self.attribute = attribute


@dataclass(frozen=True, slots=True)
class Envelope:
    """The CloudEvents context of one message (its payload travels separately)."""

    id: str
    source: str
    type: str
    time: datetime
    correlation_id: str
    causation_id: str | None = None
    subject: str | None = None
    traceparent: str | None = None
    content_type: str = JSON
    specversion: str = SPECVERSION

    def __post_init__(self) -> None:
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError(f"envelope time must be timezone-aware, got {self.time!r}")
        # Normalised to UTC so equal instants compare equal after a round trip.
        object.__setattr__(self, "time", self.time.astimezone(UTC))


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, e.g. `2026-10-01T08:30:00.000000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def build_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    """The Kafka headers of an envelope in binary mode; absent optional attributes are omitted."""
    values: dict[str, str | None] = {
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "specversion": envelope.specversion,
        "time": format_time(envelope.time),
        "subject": envelope.subject,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        "content_type": envelope.content_type,
        "traceparent": envelope.traceparent,
    }
    return [
        (HEADERS[name], value.encode("utf-8"))
        for name, value in values.items()
        if value is not None
    ]


def parse_headers(
    headers: Iterable[tuple[str, bytes | str]] | Mapping[str, bytes | str],
) -> Envelope:
    """The envelope carried by Kafka headers.

    Raises `InvalidEnvelope` naming the attribute when a required one (`id`, `source`,
    `type`, `specversion` = 1.0, and this bus's `time` and `correlationid`) is missing,
    empty or malformed, or a value is not UTF-8. An invalid `traceparent` is dropped,
    as W3C Trace Context asks, rather than making the message unreadable. Header names
    are matched case-insensitively; of repeated headers the last one counts.
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    found: dict[str, str] = {}
    for name, raw in pairs:
        key = name.lower()
        if isinstance(raw, bytes):
            try:
                found[key] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidEnvelope(key, "value is not UTF-8") from None
        else:
            found[key] = raw

    def required(attribute: str) -> str:
        value = found.get(HEADERS[attribute])
        if not value:
            raise InvalidEnvelope(HEADERS[attribute], "missing")
        return value

    specversion = required("specversion")
    if specversion != SPECVERSION:
        raise InvalidEnvelope("ce_specversion", f"unsupported version {specversion!r}")
    envelope_id, source, message_type = required("id"), required("source"), required("type")
    time = parse_time(required("time"))
    traceparent = found.get("traceparent")
    return Envelope(
        id=envelope_id,
        source=source,
        type=message_type,
        time=time,
        correlation_id=required("correlation_id"),
        causation_id=found.get("ce_causationid") or None,
        subject=found.get("ce_subject") or None,
        traceparent=traceparent if traceparent and _trace_id(traceparent) else None,
        content_type=found.get("content-type") or JSON,
        specversion=specversion,
    )


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime (fractions beyond microseconds cut)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise InvalidEnvelope("ce_time", f"not an RFC 3339 timestamp: {text!r}")
    fraction = (match["fraction"] or "")[:7]
    offset = "+00:00" if match["offset"] in ("Z", "z") else match["offset"]
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['clock']}{fraction}{offset}")
    except ValueError as exc:
        raise InvalidEnvelope("ce_time", str(exc)) from None
    return moment.astimezone(UTC)


def deterministic_id(cause_id: str, discriminator: str) -> str:
    """The id of the message that `cause_id` causes for `discriminator`: the same on every retry."""
    return str(uuid.uuid5(NAMESPACE, f"{cause_id}:{discriminator}"))


def new_envelope(
    message_type: str,
    *,
    source: str,
    correlation_id: str,
    cause: Envelope | None = None,
    id: str | None = None,
    subject: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    """An envelope for a new message, caused by `cause` when given.

    Its `causation_id` is the cause's id and its `traceparent` continues the cause's
    trace with a new span; without a (traceable) cause a new trace starts. The id is
    a random UUID unless given; pass `deterministic_id(...)` for anything a retry may
    resend. The time defaults to now; pass the injected clock's time.
    """
    trace = _trace_id(cause.traceparent) if cause and cause.traceparent else None
    flags = cause.traceparent[-2:] if trace and cause and cause.traceparent else "01"
    return Envelope(
        id=id or str(uuid.uuid4()),
        source=source,
        type=message_type,
        time=time or datetime.now(UTC),
        correlation_id=correlation_id,
        causation_id=cause.id if cause else None,
        subject=subject,
        traceparent=f"00-{trace or _random_hex(16)}-{_random_hex(8)}-{flags}",
    )


def _trace_id(traceparent: str) -> str | None:
    """The trace id of a valid W3C `traceparent`, else None."""
    match = _TRACEPARENT.fullmatch(traceparent)
    if match is None or match["version"] == "ff":
        return None
    if set(match["trace"]) == {"0"} or set(match["span"]) == {"0"}:
        return None
    return match["trace"]


def _random_hex(size: int) -> str:
    while set(value := secrets.token_hex(size)) == {"0"}:  # all-zero ids are invalid
        pass
    return value
