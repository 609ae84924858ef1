"""Records of the bus as an operator reads them: decoded, summarised, personal data redacted
(`redaction`).

Used by the gateway's operators' console and by `onewindow ops` (the command line), so
both show a message the same way. Decoding never fails: a record whose envelope or payload
cannot be read (the kind that ends up on a dead-letter topic) is shown with what could
be read and the reason it could not.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from onewindow.contracts import catalog
from onewindow.contracts.envelope import InvalidEnvelope, parse_headers
from onewindow.contracts.message import Command, Message
from onewindow.contracts.topics import DLQ_SUFFIX
from onewindow.ops.redaction import HIDDEN, visible
from onewindow.ops.redaction import REDACTED as REDACTED
from onewindow.ops.redaction import redact as redact
from onewindow.runtime import vault
from onewindow.runtime.errors import safe_description

# Fields worth a place in a one-line summary, in the order they are shown.
SUMMARY_FIELDS = (
    "status",
    "outcome",
    "decision",
    "permit",
    "permit_number",
    "valid_until",
    "reserved_until",
    "due_on",
    "respond_by",
    "reason",
    "state",
    "template",
    "channel",
    "error",
)
CONTEXT_COLOURS = {
    "applications": "cyan",
    "identity": "magenta",
    "work-permit": "green",
    "residence-permit": "yellow",
    "notifications": "blue",
}


def context_of(ce_type: str) -> str:
    """The bounded context named by a type `onewindow.<context>.<Name>.v1` ('' if none)."""
    parts = ce_type.split(".")
    return parts[1] if len(parts) >= 4 and parts[0] == "onewindow" else ""


def short_name(ce_type: str) -> str:
    """`WorkPermitReserved` of `onewindow.work-permit.WorkPermitReserved.v1`."""
    parts = ce_type.split(".")
    return parts[-2] if len(parts) >= 4 else ce_type


def kind_of(ce_type: str) -> str:
    """`command`, `event`, or `unknown` for a type this version of the contracts lacks."""
    try:
        model = catalog.by_type(ce_type)
    except catalog.UnknownMessageType:
        return "unknown"
    return "command" if issubclass(model, Command) else "event"


def summarise(ce_type: str, data: Any) -> str:
    """One line saying what a message is about, from its (redacted) payload."""
    name = short_name(ce_type) or "?"
    if not isinstance(data, Mapping):
        return name
    parts: list[str] = []
    if isinstance(data.get("summary"), str):
        parts.append(str(data["summary"]))
    for key in SUMMARY_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, Mapping | list) and value not in HIDDEN:
            parts.append(f"{key}={value}")
    for key in ("reasons", "documents", "flags", "missing_documents"):
        items = data.get(key)
        if isinstance(items, list) and items:
            labels = [
                str(item.get("code") or item.get("kind") or "?")
                if isinstance(item, Mapping)
                else str(item)
                for item in items
            ]
            parts.append(f"{key}={','.join(labels)}")
    for side in ("work_permit", "residence_permit"):
        grant = data.get(side)
        if isinstance(grant, Mapping) and grant.get("number"):
            parts.append(f"{side}={grant['number']}")
    return f"{name}: {'; '.join(parts)}" if parts else name


@dataclass(frozen=True)
class Decoded:
    """One record of the bus, decoded as far as it can be."""

    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: str | None
    headers: dict[str, str]
    ce_type: str
    id: str
    correlation_id: str
    causation_id: str | None
    data: Any
    problem: str | None = None
    topic_name: str = ""
    raw_value: bytes = field(default=b"", repr=False)

    @property
    def context(self) -> str:
        return context_of(self.ce_type)

    @property
    def colour(self) -> str:
        return CONTEXT_COLOURS.get(self.context, "white")

    @property
    def kind(self) -> str:
        return kind_of(self.ce_type)

    @property
    def dead_letter(self) -> bool:
        return self.topic.endswith(DLQ_SUFFIX)

    def concerns(self, case_id: str) -> bool:
        """Whether the record belongs to the case: by key or by correlation id."""
        return case_id in (self.key, self.correlation_id)

    def visible_data(self, *, show_personal_data: bool = False) -> Any:
        """The payload as an operator sees it: personal fields redacted, and whatever its
        contract does not vouch for withheld (`redaction`); as sent if asked for."""
        if show_personal_data:
            return self.data
        return visible(self.ce_type, self.data, matches_contract=self.problem is None)

    def summary(self, *, show_personal_data: bool = False) -> str:
        line = summarise(self.ce_type, self.visible_data(show_personal_data=show_personal_data))
        return f"{line} [unreadable: {self.problem}]" if self.problem else line

    def as_json(self, *, show_personal_data: bool = False) -> dict[str, Any]:
        """A JSON object for piping (`--json`) and for the console's stream."""
        return {
            "time": self.timestamp.isoformat(),
            "topic": self.topic_name or self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": self.key,
            "type": self.ce_type,
            "context": self.context,
            "kind": self.kind,
            "id": self.id,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "summary": self.summary(show_personal_data=show_personal_data),
            "data": self.visible_data(show_personal_data=show_personal_data),
            "problem": self.problem,
        }


def matches(message: Decoded, case: str | None, type_glob: str | None) -> bool:
    """Whether a message passes the console's filters: case id, and type glob or part."""
    if case and not message.concerns(case):
        return False
    if type_glob:
        pattern = type_glob if any(c in type_glob for c in "*?[") else f"*{type_glob}*"
        return fnmatch.fnmatchcase(message.ce_type.lower(), pattern.lower())
    return True


def header_text(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    """Kafka headers as text (undecodable bytes replaced, as the runtime does)."""
    return {name: (value or b"").decode("utf-8", errors="replace") for name, value in headers}


def decode(record: Any, *, topic_prefix: str = "") -> Decoded:
    """An aiokafka `ConsumerRecord` as a `Decoded`, however broken it is."""
    raw_headers = list(record.headers or ())
    headers = header_text(raw_headers)
    problem: str | None = None
    try:
        envelope = parse_headers(raw_headers)
        ce_type, message_id = envelope.type, envelope.id
        correlation, causation = envelope.correlation_id, envelope.causation_id
    except InvalidEnvelope as exc:
        problem = f"envelope: {exc}"
        ce_type, message_id = headers.get("ce_type", "?"), headers.get("ce_id", "?")
        correlation = headers.get("ce_correlationid", "")
        causation = headers.get("ce_causationid") or None
    value = record.value or b""
    try:
        data: Any = json.loads(value)
    except (ValueError, UnicodeDecodeError) as exc:
        data = value.decode("utf-8", errors="replace")
        problem = problem or f"payload is not JSON: {exc}"
    if problem is None:
        problem = _contract_problem(ce_type, value)
    key = record.key.decode("utf-8", errors="replace") if record.key is not None else None
    topic = str(record.topic)
    return Decoded(
        topic=topic,
        partition=int(record.partition),
        offset=int(record.offset),
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=key,
        headers=headers,
        ce_type=ce_type,
        id=message_id,
        correlation_id=correlation,
        causation_id=causation,
        data=data,
        problem=problem,
        topic_name=topic.removeprefix(topic_prefix),
        raw_value=bytes(value),
    )


def _contract_problem(ce_type: str, value: bytes) -> str | None:
    try:
        model = catalog.by_type(ce_type)
    except catalog.UnknownMessageType:
        return f"unknown type {ce_type}"
    refusal = contract_refusal(model, value)
    return None if refusal is None else "does not match the contract: " + refusal


def contract_refusal(model: type[Message], value: bytes) -> str | None:
    """Why `model` refuses a payload, by field paths and error types (never the values),
    None if it accepts it; sealed values (runtime.vault) count as the stand-ins they read
    as without their key."""
    try:
        if vault.is_sealed_json(value):
            model.model_validate(vault.unseal(json.loads(value), "", None))
        else:
            model.model_validate_json(value)
    except ValueError as exc:  # pydantic's ValidationError: its text would quote the values
        return safe_description(exc)
    return None
