"""The AsyncAPI 3.0 document of the bus: where it is committed, and how it is completed.

The services' FastStream brokers know who consumes which topic in which group; they do
not know what the messages look like (every subscriber takes raw bytes, since the
envelope decides the type) nor who publishes (the outbox relays publish dynamically).
`complete` builds the document from what the brokers say (servers, and one receive
operation per subscriber) plus this package's own knowledge: one channel per topic of
the registry and its dead-letter twin, one message per CloudEvents type with the
committed JSON Schema of `contracts/schemas/` as its payload and the envelope's headers,
and one send operation per writer. `onewindow.cli.asyncapi` runs the brokers and writes
the result to `contracts/asyncapi/asyncapi.json` (`make asyncapi`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from onewindow.contracts.catalog import TOPIC_OF
from onewindow.contracts.envelope import HEADERS
from onewindow.contracts.topics import DLQ_SUFFIX, REGISTRY, Topic

Document = dict[str, Any]
# contracts/src/onewindow/contracts/asyncapi.py -> contracts/asyncapi/asyncapi.json
DOCUMENT_PATH = Path(__file__).resolve().parents[3] / "asyncapi" / "asyncapi.json"
ASYNCAPI_VERSION = "3.0.0"
HEADERS_SCHEMA = "CloudEventsHeaders"
DEAD_LETTER = "DeadLetter"
DLQ_HEADERS = {
    "x-dlq-error": "The error, on one line.",
    "x-dlq-error-type": "The exception's qualified name.",
    "x-dlq-attempts": "How many times the handler ran (0: the record could not be read).",
    "x-dlq-original-topic": "The topic the record was read from.",
    "x-dlq-original-partition": "Its partition there.",
    "x-dlq-original-offset": "Its offset there.",
    "x-dlq-group": "The consumer group that gave up on it.",
    "x-dlq-source": "The service that gave up on it.",
    "x-dlq-failed-at": "When (RFC 3339, UTC).",
}
HEADER_DESCRIPTIONS = {
    "id": "The message id; receivers drop a repeat of an id they handled.",
    "source": "The service that wrote it, e.g. `onewindow/applications`.",
    "type": "`onewindow.<context>.<Name>.v<version>`: selects the payload schema.",
    "specversion": "CloudEvents version, `1.0`.",
    "time": "When it happened (RFC 3339, UTC).",
    "subject": "Optional subject.",
    "correlation_id": "The application (or extension) the conversation is about.",
    "causation_id": "The id of the message that caused this one.",
    "content_type": "`application/json`.",
    "traceparent": "W3C Trace Context.",
}
REQUIRED_HEADERS = ("id", "source", "type", "specversion", "time", "correlation_id")


def committed_document(path: Path = DOCUMENT_PATH) -> Document:
    """The committed document (`FileNotFoundError` before the first `make asyncapi`)."""
    loaded: Document = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def render(document: Document) -> str:
    """The stable text of the document: two-space indent, sorted keys, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def complete(
    specifications: Mapping[str, Document],
    schemas: Mapping[str, Document],
    *,
    title: str,
    version: str,
    description: str,
) -> Document:
    """The bus's AsyncAPI document from each service's FastStream specification.

    `specifications` maps a service name to the AsyncAPI 3.0 document FastStream made
    of that service's broker; `schemas` maps each CloudEvents type to its JSON Schema.
    """
    components: Document = {"schemas": _headers_schemas(), "messages": {}}
    for ce_type, schema in sorted(schemas.items()):
        components["schemas"][ce_type] = _hoist(schema, components["schemas"])
        components["messages"][ce_type] = _message(ce_type)
    components["messages"][DEAD_LETTER] = {
        "name": DEAD_LETTER,
        "title": "A record set aside after its handler gave up",
        "contentType": "application/json",
        "headers": {"$ref": f"#/components/schemas/{DEAD_LETTER}Headers"},
        "payload": {"description": "The original record's value, byte for byte."},
    }
    servers: Document = {}
    for specification in specifications.values():
        servers.update(copy.deepcopy(specification.get("servers", {})))
    server_refs = [{"$ref": f"#/servers/{name}"} for name in sorted(servers)]
    channels = {
        name: channel
        for topic in REGISTRY
        for name, channel in _channels(topic, schemas, server_refs).items()
    }
    operations = _sends(channels)
    for service, specification in sorted(specifications.items()):
        operations.update(_receives(service, specification, channels))
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": "application/json",
        "servers": servers,
        "channels": channels,
        "operations": operations,
        "components": components,
    }


def _headers_schemas() -> Document:
    properties = {
        header: {"type": "string", "description": HEADER_DESCRIPTIONS[attribute]}
        for attribute, header in HEADERS.items()
    }
    dlq = {name: {"type": "string", "description": text} for name, text in DLQ_HEADERS.items()}
    return {
        HEADERS_SCHEMA: {
            "type": "object",
            "description": "CloudEvents 1.0, Kafka protocol binding, binary mode.",
            "properties": properties,
            "required": [HEADERS[attribute] for attribute in REQUIRED_HEADERS],
        },
        f"{DEAD_LETTER}Headers": {
            "type": "object",
            "description": "The original headers, plus why and where from.",
            "properties": {**properties, **dlq},
            "required": list(DLQ_HEADERS),
        },
    }


def _hoist(schema: Document, shared: Document) -> Document:
    """The schema with its `$defs` moved to the shared components (refs rewritten)."""
    body = copy.deepcopy(dict(schema))
    body.pop("$schema", None)
    for name, definition in body.pop("$defs", {}).items():
        rewritten = _rewrite_refs(definition)
        if shared.setdefault(name, rewritten) != rewritten:
            raise ValueError(f"two different schemas are both named {name!r}")
    rewritten_body: Document = _rewrite_refs(body)
    return rewritten_body


def _rewrite_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: item.replace("#/$defs/", "#/components/schemas/")
            if key == "$ref" and isinstance(item, str)
            else _rewrite_refs(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_refs(item) for item in value]
    return value


def _message(ce_type: str) -> Document:
    return {
        "name": ce_type.split(".")[-2],
        "title": ce_type,
        "contentType": "application/json",
        "headers": {"$ref": f"#/components/schemas/{HEADERS_SCHEMA}"},
        "correlationId": {"location": f"$message.header#/{HEADERS['correlation_id']}"},
        "payload": {"$ref": f"#/components/schemas/{ce_type}"},
    }


def _types_on(topic: Topic, schemas: Mapping[str, Document]) -> list[str]:
    return sorted(t for t in schemas if t in TOPIC_OF and TOPIC_OF[t].name == topic.name)


def _channels(
    topic: Topic, schemas: Mapping[str, Document], servers: list[Document]
) -> dict[str, Document]:
    messages = {
        ce_type.split(".")[-2]: {"$ref": f"#/components/messages/{ce_type}"}
        for ce_type in _types_on(topic, schemas)
    }
    described = (
        f"Key: {topic.key}. Written by {', '.join(topic.writers)}; "
        f"read by {', '.join(topic.readers)}."
    )
    return {
        topic.name: _channel(topic.name, topic.partitions, messages, described, servers),
        topic.dlq: _channel(
            topic.dlq,
            topic.partitions,
            {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
            f"Dead letters of {topic.name}: records its readers gave up on.",
            servers,
        ),
    }


def _channel(
    address: str,
    partitions: int,
    messages: Document,
    description: str,
    servers: list[Document],
) -> Document:
    return {
        "address": address,
        "description": description,
        "servers": servers,
        "messages": messages,
        "bindings": {
            "kafka": {"topic": address, "partitions": partitions, "bindingVersion": "0.5.0"}
        },
    }


def _sends(channels: Document) -> Document:
    operations: Document = {}
    for topic in REGISTRY:
        for writer in topic.writers:
            operations[f"{writer}.send.{topic.name}"] = _operation(
                "send", topic.name, channels, f"{writer} publishes to {topic.name}"
            )
    return operations


def _receives(service: str, specification: Document, channels: Document) -> Document:
    """One receive operation per subscriber of the service's broker."""
    found: Document = {}
    spec_channels = specification.get("channels", {})
    for operation in specification.get("operations", {}).values():
        if operation.get("action") != "receive":
            continue
        reference = str(operation["channel"]["$ref"]).removeprefix("#/channels/")
        channel = spec_channels[reference.replace("~1", "/")]
        address = str(channel["address"])
        if address not in channels:
            raise ValueError(f"{service} subscribes to {address!r}, which is not in the registry")
        group = reference.partition(":")[2] or service
        operation_id = f"{service}.receive.{address}"
        found[operation_id] = _operation(
            "receive", address, channels, f"{service} consumes {address} as group {group}"
        )
        found[operation_id]["bindings"] = {
            "kafka": {"groupId": {"type": "string", "enum": [group]}, "bindingVersion": "0.5.0"}
        }
        # The subscriber runtime sets aside on the twin what this subscriber gives up on.
        dlq = address + DLQ_SUFFIX
        found[f"{service}.send.{dlq}"] = _operation(
            "send", dlq, channels, f"{service} sets aside what it cannot handle"
        )
    return found


def _operation(action: str, address: str, channels: Document, title: str) -> Document:
    return {
        "action": action,
        "title": title,
        "channel": {"$ref": f"#/channels/{address}"},
        "messages": [
            {"$ref": f"#/channels/{address}/messages/{name}"}
            for name in sorted(channels[address]["messages"])
        ],
    }
