"""`make asyncapi`: the AsyncAPI document of the bus, from the services' FastStream apps.

Each service is wired exactly as its process wires it (its `__main__` names its settings
type and `bootstrap` as `SERVICE`; here the app is built instead of served), and the
FastStream broker that `bootstrap` builds is read from the app. Nothing is started: building a
broker, a database client or an HTTP client opens no connection, so no network is
needed. FastStream describes each broker (servers, subscribers and their groups);
`onewindow.contracts.asyncapi.complete` adds the topics, messages and publishers.

    python -m onewindow.cli.asyncapi            # write contracts/asyncapi/asyncapi.json
    python -m onewindow.cli.asyncapi --check    # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from onewindow.contracts.asyncapi import DOCUMENT_PATH, Document, complete, render
from onewindow.contracts.schemas import committed_schemas
from onewindow.devstack.services import SERVICES, Service
from onewindow.runtime.host import ServiceEntry, broker_of

TITLE = "One Window bus"
VERSION = "v1"
DESCRIPTION = (
    "Every topic of One Window's Kafka bus: who writes it, who reads it in which consumer "
    "group, and the messages on it. Messages are CloudEvents 1.0 in Kafka binary mode: "
    "the value is the JSON payload, the context attributes are `ce_*` headers, and "
    "`ce_type` selects the payload's schema. Every topic has a dead-letter twin `.dlq`."
)
# Fixed, so the document does not depend on the environment it is generated in.
BOOTSTRAP_SERVERS = "127.0.0.1:9092"


def service_broker(service: Service) -> KafkaBroker:
    """The FastStream broker a service builds, with its subscribers, never started."""
    entry = importlib.import_module(f"{service.module}.__main__").SERVICE
    if not isinstance(entry, ServiceEntry):
        raise TypeError(f"{service.module}.__main__.SERVICE is not a ServiceEntry")
    settings = entry.settings(topic_prefix="", kafka_bootstrap_servers=BOOTSTRAP_SERVERS)
    return broker_of(entry.bootstrap(settings))


def generate() -> Document:
    """The complete document, from every service's broker and the committed schemas."""
    specifications = {
        service.name: json.loads(
            AsyncAPI(service_broker(service), title=service.name, schema_version="3.0.0")
            .to_specification()
            .to_json()
        )
        for service in SERVICES
    }
    return complete(
        specifications, committed_schemas(), title=TITLE, version=VERSION, description=DESCRIPTION
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the file is not current")
    parser.add_argument("--output", type=Path, default=DOCUMENT_PATH)
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is not current: run `make asyncapi`", file=sys.stderr)
            return 1
        print(f"{args.output} is current")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
