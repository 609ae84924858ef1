"""Traces across HTTP and Kafka (OpenTelemetry), and the bus's own Prometheus metrics.

**Traces** are off unless an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`,
`InfraSettings.otlp_endpoint`). Off, nothing is instrumented, no span is ever made and
every hook here returns at its first line; on, spans go over OTLP/HTTP to
`<endpoint>/v1/traces` in batches (`OTEL_BSP_*` tune the batching).

One application is one trace, from the gateway's POST to the decision:

- the gateway's request span (FastAPI instrumentation) is the parent of the command's
  publish (FastStream's `KafkaTelemetryMiddleware`, which writes that span's context into
  the record's W3C `traceparent` header);
- a subscriber handles each record in a span of its own whose parent is the context the
  record's `traceparent` carries (`consuming`): FastStream's middleware sees a batch as
  one span *linked* to its records, which is not a parent, so the runtime adds these;
- an outgoing message is stored in the outbox with the context of the span that handled
  its cause (`carried`): the relay publishes it later, from another task, so the context
  must travel with the stored envelope, not with the running code;
- the relay publishes under that stored context (`publishing`), so the publish span is
  its child and the next service's span the child of that.

**Metrics** (always on, on every service's `/metrics`): messages published by type,
dead letters by topic and group, and the flow latency of each published message: the
seconds from the outside input that began its flow (a request at the gateway, or a
timer) to its publication. A flow's beginning travels in the `ce_origintime` header
(a CloudEvents extension, RFC 3339, like `ce_time`); a message without one began its
own flow. For the saga's `ApplicationApproved`/`ApplicationRefused` it is the
decision latency from the POST (or, for a case an officer decided, from the officer's
review).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Histogram

from onewindow.contracts.envelope import Envelope, InvalidEnvelope, parse_time
from onewindow.runtime.settings import ServiceSettings

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from fastapi import FastAPI
    from faststream.kafka import KafkaBroker
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from onewindow.runtime.eventstore import OutboxEntry

ORIGIN_HEADER = "ce_origintime"
TIME_HEADER = "ce_time"
# Probes and scrapes are not worth a span.
UNTRACED_URLS = "/healthz$,/readyz$,/metrics$"

PUBLISHED = Counter(
    "onewindow_messages_published_total",
    "Messages the outbox relay published (acknowledged by Kafka), by topic and type.",
    ["topic", "type"],
)
FLOW_LATENCY = Histogram(
    "onewindow_flow_latency_seconds",
    "Seconds from the outside input that began a flow (a request, a timer) to the "
    "publication of a message of it, by message type.",
    ["type"],
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30, 60, 300, 3600),
)
DEAD_LETTERS = Counter(
    "onewindow_dead_letters_total",
    "Records a subscriber set aside on the dead-letter topic, by original topic and group.",
    ["topic", "group"],
)

_PROPAGATOR = TraceContextTextMapPropagator()
_NOTHING = contextlib.nullcontext()
# When the flow of the message being handled began (RFC 3339), for what it causes.
_ORIGIN: contextvars.ContextVar[str | None] = contextvars.ContextVar("origin", default=None)
_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None


def configure(settings: ServiceSettings, *, exporter: SpanExporter | None = None) -> bool:
    """Turn tracing on for this process if `settings` name an OTLP endpoint (or an
    `exporter` is given, as tests do); return whether it is on.

    The spans name the service (`service.name`) and are batched to the exporter; the
    batch is flushed when the process exits.
    """
    global _provider, _tracer
    if not settings.otlp_endpoint and exporter is None:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces")
    resource = Resource.create(
        {"service.name": settings.service_name, "service.namespace": "onewindow"}
    )
    _provider = TracerProvider(resource=resource)
    _provider.add_span_processor(BatchSpanProcessor(exporter))
    _tracer = _provider.get_tracer("onewindow.runtime")
    return True


def shutdown() -> None:
    """Flush and stop tracing (tracing is off afterwards)."""
    global _provider, _tracer
    if _provider is not None:
        _provider.shutdown()
    _provider = _tracer = None


def instrument(app: FastAPI, broker: KafkaBroker) -> None:
    """Trace `app`'s requests and `broker`'s publishes when tracing is on."""
    if _provider is None:
        return
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        excluded_urls=UNTRACED_URLS,
        exclude_spans=["receive", "send"],
    )
    broker.add_middleware(KafkaTelemetryMiddleware(tracer_provider=_provider))


def consuming(record: ConsumerRecord[Any, Any]) -> contextlib.AbstractContextManager[object]:
    """The scope of handling one record: what it causes belongs to its flow, and, when
    tracing, to a span whose parent is the context in the record's `traceparent`."""
    headers: dict[str, bytes] = dict(record.headers)
    origin = headers.get(ORIGIN_HEADER) or headers.get(TIME_HEADER)
    if _tracer is None:
        return _flow(origin)
    return _handling(record, headers, origin)


@contextlib.contextmanager
def _flow(origin: bytes | None) -> Iterator[None]:
    token = _ORIGIN.set(origin.decode("utf-8", "replace") if origin else None)
    try:
        yield
    finally:
        _ORIGIN.reset(token)


@contextlib.contextmanager
def _handling(
    record: ConsumerRecord[Any, Any], headers: Mapping[str, bytes], origin: bytes | None
) -> Iterator[None]:
    assert _tracer is not None
    carrier = {name: value.decode("utf-8", "replace") for name, value in headers.items()}
    attributes = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": record.topic,
        "messaging.destination.partition.id": str(record.partition),
        "messaging.kafka.offset": record.offset,
        "messaging.message.id": carrier.get("ce_id", ""),
        "onewindow.message.type": carrier.get("ce_type", ""),
        "onewindow.correlation_id": carrier.get("ce_correlationid", ""),
    }
    with (
        _flow(origin),
        _tracer.start_as_current_span(
            f"{record.topic} process",
            context=_PROPAGATOR.extract(carrier),
            kind=trace.SpanKind.CONSUMER,
            attributes=attributes,
        ),
    ):
        yield


def carried(headers: dict[str, str]) -> dict[str, str]:
    """The headers of an outgoing message as its commit stores them: with the beginning
    of the flow being handled and, when tracing, the context of the span handling it
    (in place of the envelope's own `traceparent`, whose span was never recorded)."""
    origin = _ORIGIN.get()
    if origin is not None:
        headers.setdefault(ORIGIN_HEADER, origin)
    if _tracer is not None:
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            headers["traceparent"] = (
                f"00-{span.trace_id:032x}-{span.span_id:016x}-{int(span.trace_flags):02x}"
            )
    return headers


def following(envelope: Envelope, cause: Envelope | None) -> Envelope:
    """An envelope made outside the handling of a record (a delivery loop, a sweep) hangs
    from its cause's own span when tracing: there is no handling span to hang from, and
    the span id the envelope made up was never recorded."""
    if _tracer is None or cause is None or not cause.traceparent:
        return envelope
    if trace.get_current_span().get_span_context().is_valid:
        return envelope  # `carried` puts the handling span's context in
    return dataclasses.replace(envelope, traceparent=cause.traceparent)


def publishing(headers: Mapping[str, str]) -> contextlib.AbstractContextManager[object]:
    """The scope of publishing a stored message: under the context it was stored with,
    so the publish span (FastStream's) is that span's child. Nothing when not tracing."""
    if _tracer is None:
        return _NOTHING
    return _attached(headers)


@contextlib.contextmanager
def _attached(headers: Mapping[str, str]) -> Iterator[None]:
    token = otel_context.attach(_PROPAGATOR.extract(dict(headers)))
    try:
        yield
    finally:
        otel_context.detach(token)


def published(entries: Iterable[OutboxEntry], topic_prefix: str) -> None:
    """Count messages Kafka acknowledged, and observe each one's flow latency."""
    now = datetime.now(UTC)
    for entry in entries:
        PUBLISHED.labels(topic_prefix + entry.topic, entry.type).inc()
        began = entry.headers.get(ORIGIN_HEADER) or entry.headers.get(TIME_HEADER)
        if began is None:
            continue
        try:
            seconds = (now - parse_time(began)).total_seconds()
        except InvalidEnvelope:
            continue
        FLOW_LATENCY.labels(entry.type).observe(max(0.0, seconds))


def dead_lettered(topic: str, group: str) -> None:
    """Count a record set aside on the dead-letter topic."""
    DEAD_LETTERS.labels(topic, group).inc()
