"""Traces and bus metrics of the runtime (runtime.telemetry), without a broker: off unless
an endpoint is set; on, a record is handled in a span whose parent its `traceparent`
names, what it causes is stored with that span's context, and the relay publishes under
the stored context."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from onewindow.contracts.envelope import format_time
from onewindow.runtime import telemetry
from onewindow.runtime.eventstore import OutboxEntry
from onewindow.runtime.settings import ServiceSettings

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
BEGAN = "2026-10-01T08:30:00.000000Z"


def record(**headers: str) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="work-permit.commands",
        partition=3,
        offset=42,
        timestamp=0,
        timestamp_type=0,
        key=b"case-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=6,
        serialized_value_size=2,
        headers=[(name, value.encode()) for name, value in headers.items()],
    )


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert telemetry.configure(ServiceSettings(service_name="work-permit"), exporter=exporter)
    try:
        yield exporter
    finally:
        telemetry.shutdown()


def test_tracing_is_off_without_an_endpoint_and_touches_no_trace_context() -> None:
    assert not telemetry.configure(ServiceSettings(otlp_endpoint=""))
    stored = {"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"}
    with telemetry.consuming(record(traceparent=stored["traceparent"], ce_time=BEGAN)):
        assert not trace.get_current_span().get_span_context().is_valid
        headers = telemetry.carried(dict(stored))
    assert headers == {**stored, "ce_origintime": BEGAN}
    assert telemetry.publishing(stored) is telemetry.publishing({})  # a shared no-op


def test_a_record_is_handled_in_a_span_whose_parent_its_traceparent_names(
    exported: InMemorySpanExporter,
) -> None:
    incoming = record(
        traceparent=f"00-{PARENT_TRACE}-{PARENT_SPAN}-01",
        ce_type="onewindow.work-permit.AssessWorkPermit.v1",
        ce_correlationid="case-1",
    )
    with telemetry.consuming(incoming):
        handling = trace.get_current_span().get_span_context()
        stored = telemetry.carried({"traceparent": f"00-{PARENT_TRACE}-{'1' * 16}-01"})
    telemetry.shutdown()

    (span,) = exported.get_finished_spans()
    assert span.name == "work-permit.commands process"
    assert span.kind is trace.SpanKind.CONSUMER
    assert span.parent is not None
    assert (f"{span.parent.trace_id:032x}", f"{span.parent.span_id:016x}") == (
        PARENT_TRACE,
        PARENT_SPAN,
    )
    assert span.attributes is not None
    assert span.attributes["onewindow.correlation_id"] == "case-1"
    assert span.resource.attributes["service.name"] == "work-permit"
    # What the handler caused is stored with the handling span as its parent.
    assert stored["traceparent"] == f"00-{PARENT_TRACE}-{handling.span_id:016x}-01"


def test_the_relay_publishes_under_the_context_stored_with_the_message(
    exported: InMemorySpanExporter,
) -> None:
    stored = {"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"}
    with telemetry.publishing(stored):
        current = trace.get_current_span().get_span_context()
    assert (f"{current.trace_id:032x}", f"{current.span_id:016x}") == (PARENT_TRACE, PARENT_SPAN)
    assert not trace.get_current_span().get_span_context().is_valid  # detached again


def test_published_messages_are_counted_with_the_latency_of_their_flow() -> None:
    kind = "onewindow.applications.ApplicationApproved.v1"
    began = format_time(datetime.now(UTC) - timedelta(seconds=2))
    entry = OutboxEntry(
        id="m-1",
        topic="applications.events",
        key="case-1",
        type=kind,
        payload="{}",
        headers={"ce_origintime": began, "ce_time": format_time(datetime.now(UTC))},
    )

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    count = sample("onewindow_flow_latency_seconds_count", type=kind)
    fast = sample("onewindow_flow_latency_seconds_bucket", type=kind, le="1.0")
    sent = sample("onewindow_messages_published_total", topic="p.applications.events", type=kind)

    telemetry.published([entry], "p.")

    assert sample("onewindow_flow_latency_seconds_count", type=kind) == count + 1
    # Two seconds from the request that began it: not under a second.
    assert sample("onewindow_flow_latency_seconds_bucket", type=kind, le="1.0") == fast
    assert sample(
        "onewindow_messages_published_total", topic="p.applications.events", type=kind
    ) == (sent + 1)
