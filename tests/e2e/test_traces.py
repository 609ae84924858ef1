"""One application is one trace (issue 16): every service its own OS process, exporting
over OTLP/HTTP to a collector this test runs on loopback, which writes each span it
receives to a file; the test reads the file and follows the parent links from the
gateway's POST, through Kafka, to the saga's decision. The saga's /metrics count the same
decision and its latency, as the Grafana dashboard reads them."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from prometheus_client.parser import text_string_to_metric_families

from onewindow.cli.seeding import Gateway, Person
from onewindow.devstack.pytest_plugin import Infrastructure, RunningServices, run_services
from onewindow.runtime.clock import SystemClock, local_today

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TODAY = local_today(SystemClock())
SERVER, CONSUMER = 2, 5  # OTLP span kinds
Span = dict[str, Any]


class FileCollector:
    """An OTLP/HTTP trace receiver on loopback that appends every span to a JSON-lines file."""

    def __init__(self, spans_file: Path) -> None:
        self.spans_file = spans_file
        lock = threading.Lock()

        class Receive(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                with lock, spans_file.open("a") as out:
                    for spans in request.resource_spans:
                        service = next(
                            a.value.string_value
                            for a in spans.resource.attributes
                            if a.key == "service.name"
                        )
                        for scoped in spans.scope_spans:
                            for span in scoped.spans:
                                out.write(json.dumps(_span(service, span)) + "\n")
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receive)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FileCollector:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def spans(self) -> list[Span]:
        if not self.spans_file.exists():
            return []
        return [json.loads(line) for line in self.spans_file.read_text().splitlines()]


def _span(service: str, span: Any) -> Span:
    return {
        "service": service,
        "name": span.name,
        "kind": span.kind,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex() or None,
        "attributes": {a.key: a.value.string_value for a in span.attributes},
    }


@pytest.fixture
def collector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileCollector]:
    with FileCollector(tmp_path / "spans.jsonl") as receiver:
        # Inherited by the service processes the test starts.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
        yield receiver


@pytest.fixture
def system(infrastructure: Infrastructure, collector: FileCollector) -> Iterator[RunningServices]:
    """Every service as its own process, tracing to the collector."""
    with run_services(infrastructure.isolated("trace")) as services:
        yield services


async def eventually(find: Callable[[], Any], seconds: float = 20) -> Any:
    for _ in range(int(seconds / 0.2)):
        if found := find():
            return found
        await asyncio.sleep(0.2)
    return find()


def ancestry(span: Span, by_id: dict[str, Span]) -> list[Span]:
    """The span and its ancestors, up to the first whose parent is not in `by_id`."""
    chain = [span]
    while (parent := chain[-1]["parent_span_id"]) in by_id:
        chain.append(by_id[parent])
    return chain


async def test_one_application_is_one_trace_from_the_post_to_the_decision(
    system: RunningServices, collector: FileCollector
) -> None:
    gateway = Gateway(system.gateway)
    try:
        anna = Person()
        await gateway.register(anna, health_issued=TODAY - timedelta(days=30))
        started = time.monotonic()
        response = await gateway.submit(anna, gateway.application(anna, today=TODAY))
        assert response.status_code == 202, response.text
        application_id = response.json()["id"]
        case = await gateway.wait_for(anna, application_id, {"approved", "refused"})
        assert case["status"] == "approved", case
        elapsed = time.monotonic() - started
    finally:
        await gateway.close()

    # The dashboard's decision figures, from the saga's /metrics: one decision published,
    # its latency counted from the POST (so no longer than the test waited for it).
    async with httpx.AsyncClient() as client:
        text = (await client.get(system.urls["applications"] + "/metrics")).text
    approved = "onewindow.applications.ApplicationApproved.v1"
    samples = {
        (sample.name, sample.labels.get("type")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("onewindow_messages_published_total", approved)] == 1
    assert samples[("onewindow_flow_latency_seconds_count", approved)] == 1
    assert 0 < samples[("onewindow_flow_latency_seconds_sum", approved)] <= elapsed + 1

    def decision_published() -> list[Span]:
        spans = collector.spans()
        trace_ids = {
            s["trace_id"]
            for s in spans
            if s["attributes"].get("onewindow.correlation_id") == application_id
        }
        return [
            s
            for s in spans
            if s["trace_id"] in trace_ids
            and s["service"] == "applications"
            and s["name"].endswith("applications.events create")
        ]

    decisions = await eventually(decision_published)

    assert decisions, "the saga's publication of the decision was never exported"
    trace_id = decisions[0]["trace_id"]
    spans = [s for s in collector.spans() if s["trace_id"] == trace_id]
    by_id = {s["span_id"]: s for s in spans}

    # Every span of the application's trace hangs from the gateway's POST, through Kafka.
    root = next(s for s in spans if s["parent_span_id"] is None)
    assert (root["service"], root["kind"]) == ("gateway", SERVER)
    assert root["name"] == "POST /v1/applications"
    orphans = [s for s in spans if ancestry(s, by_id)[-1] is not root]
    assert not orphans, orphans

    # Each service handled its part in a span whose parent is another service's span.
    handled_by = {
        s["service"]
        for s in spans
        if s["kind"] == CONSUMER
        and s["parent_span_id"] in by_id
        and by_id[s["parent_span_id"]]["service"] != s["service"]
    }
    assert {"applications", "identity", "work-permit", "residence-permit"} <= handled_by

    # The decision's path: from the POST to the saga's publication of the decision, the
    # chain of parents crosses the bus into identity and a permit service and back (both
    # permits are issued at once, so the last answer comes from one of them; the other's
    # work hangs from the same trace, as `handled_by` shows).
    decision = max(
        (s for s in decisions if s["trace_id"] == trace_id),
        key=lambda s: len(ancestry(s, by_id)),
    )
    path = [s["service"] for s in reversed(ancestry(decision, by_id))]
    assert path[0] == "gateway"
    assert path[-1] == "applications"
    assert "identity" in path, path
    assert {"work-permit", "residence-permit"} & set(path), path
    types = [
        s["attributes"]["onewindow.message.type"]
        for s in reversed(ancestry(decision, by_id))
        if "onewindow.message.type" in s["attributes"]
    ]
    assert types[0] == "onewindow.applications.SubmitApplication.v1", types
