"""The subscriber runtime: one FastStream subscriber per topic, with bounded retries and a DLQ.

Batches: each subscriber fetches up to `batch_size` records at once, handles records of
different keys concurrently and records of one key one after another in offset order
(a case's messages share its key, so a case is never handled twice at once), and
commits the batch's offsets once, after every record of it was handled. The event
store's group commit turns the batch's concurrent appends into few database writes.
A record that cannot be handled yet (its handler keeps failing) holds back only the
offset commit, never another key.

Ack policy, stated once for every subscriber: the offsets are committed only after the
handlers returned, that is after their commits are durable. A handler that keeps failing is
retried in-process with exponential backoff; after `max_attempts` the record goes to
`<topic>.dlq` (original value and headers, plus `x-dlq-*` headers saying why and
where from) and is then acknowledged, so the partition moves on. A record that cannot
be read at all (bad envelope, unknown type, bad JSON) goes to the DLQ at once. If the
DLQ cannot be written either, the record is not acknowledged: FastStream's
`NACK_ON_ERROR` seeks back and it is delivered again, never lost.

Stopping (`Shutdown`, begun by the process host on SIGTERM): no new batch is started, the
batch under way is finished and its offsets committed, and a record that fails meanwhile is
not retried nor dead-lettered but left, uncommitted, to whoever owns its partition next. A
batch still unfinished at the shutdown deadline (an outage being waited out) is given up
the same way, so the process leaves its groups within their session timeout.

Infrastructure trouble is not an attempt: a try that fails because the database or the
broker does not answer (see `outages.unavailable`) is tried again after a jittered,
growing pause for as long as the outage lasts, the record held and its offset not
committed; an outage is logged once, when it begins, and once when it ends. So only a
message that fails while everything answers is ever dead-lettered. A dead letter that
cannot be written because the broker is away waits for the broker the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError

from onewindow.contracts import catalog
from onewindow.contracts.envelope import Envelope, InvalidEnvelope, format_time, parse_headers
from onewindow.contracts.message import Message
from onewindow.contracts.topics import DLQ_SUFFIX
from onewindow.runtime import telemetry, vault
from onewindow.runtime.errors import safe_description
from onewindow.runtime.kafka import static_member
from onewindow.runtime.logs import message_context
from onewindow.runtime.outages import OUTAGES, Outages
from onewindow.runtime.ownership import forget_owned

log = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[Message, Envelope], Awaitable[None]]
MAX_BACKOFF_S = 30.0
# Records one fetch hands over at most, and how long a fetch waits for the first one.
BATCH_SIZE = 200
BATCH_WAIT_MS = 100
# How often a consumer heartbeats its group: a member learns of a rebalance from a
# heartbeat's answer, so each round of one waits up to this long for every member to
# notice. aiokafka's default (3 s) made a service restarted after its session expired
# (a slow start in a rolling restart) wait ~10 s in three rounds while its consumers
# joined one by one; at 1 s (a third of it), heartbeats still fit the 10 s session
# ten times over.
HEARTBEAT_INTERVAL_MS = 1000


class StopRequested(RuntimeError):
    """The process is stopping: this batch was not finished and is not acknowledged (its
    records go to the partition's next owner; handling is idempotent)."""


class Shutdown:
    """A process's stop, as its subscribers see it (one per process: `SHUTDOWN`).

    Before `begin`, batches run to their end. After it, no new batch starts, and a batch
    under way must finish within the time `begin` gave, or is cancelled and left
    unacknowledged.
    """

    def __init__(self) -> None:
        self.requested = False
        self._expired: asyncio.Event | None = None

    def _expiry(self) -> asyncio.Event:
        # Created in the running loop on first use, not at import.
        if self._expired is None:
            self._expired = asyncio.Event()
        return self._expired

    def reset(self) -> None:
        """Take batches again: a service host starts (again) in this process. Without it,
        a process that ran one host to its stop (a test module) would never handle a
        record in the next."""
        self.requested, self._expired = False, None

    def begin(self, within_s: float) -> None:
        """Stop taking batches; give the ones under way `within_s` seconds (in a loop)."""
        if self.requested:
            return
        self.requested = True
        asyncio.get_running_loop().call_later(within_s, self._expiry().set)

    async def bounded(self, work: Awaitable[T]) -> T:
        """`work`'s result, unless the shutdown deadline passes first: then it is
        cancelled and `StopRequested` raised."""
        task = asyncio.ensure_future(work)
        expiry = asyncio.ensure_future(self._expiry().wait())
        try:
            await asyncio.wait({task, expiry}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            expiry.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise StopRequested("the shutdown deadline passed before the batch was handled")


SHUTDOWN = Shutdown()


def subscribe(
    broker: KafkaBroker,
    *,
    topic: str,
    group_id: str,
    handler: Handler,
    topic_prefix: str = "",
    max_attempts: int = 5,
    backoff_s: float = 0.2,
    source: str,
    batch_size: int = BATCH_SIZE,
    outages: Outages | None = None,
    after_batch: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Consume registry topic `topic` as consumer group `group_id` with `handler`.

    The handler gets the typed message and its envelope; messages it does not care
    about it simply returns from. It must be idempotent (see `handling.handle`): a
    record is delivered at least once. `source` names this service in DLQ headers.
    A handler failing `max_attempts` times is dead-lettered; failures because the
    database or the broker is away are not counted (recorded in `outages`, by default
    the process's own).

    `after_batch` runs once every record of a batch was handled and before its offsets
    are committed: a handler that only stages its writes (merging a key's records of the
    batch into one) has them written there, and if that fails the whole batch comes again.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    consumer = _Consumer(
        broker=broker,
        topic=topic_prefix + topic,
        group=topic_prefix + group_id,
        handler=handler,
        max_attempts=max_attempts,
        backoff_s=backoff_s,
        source=source,
        outages=outages or OUTAGES,
        after_batch=after_batch,
    )
    broker.subscriber(
        topic_prefix + topic,
        group_id=topic_prefix + group_id,
        group_instance_id=static_member(topic_prefix + topic),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=batch_size,
        batch_timeout_ms=BATCH_WAIT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        listener=_ForgetOnRebalance(),
        parser=_tolerant_parser,
        decoder=_raw_bodies,
        title=f"{topic_prefix}{topic}:{group_id}",
    )(consumer.on_batch)


# aiokafka ships no type information for this base class, so mypy sees it as `Any`.
class _ForgetOnRebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Streams cached for partitions this process may no longer own are dropped."""

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if revoked:
            forget_owned()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None


@dataclasses.dataclass(frozen=True)
class _Consumer:
    broker: KafkaBroker
    topic: str
    group: str
    handler: Handler
    max_attempts: int
    backoff_s: float
    source: str
    outages: Outages
    shutdown: Shutdown = SHUTDOWN
    after_batch: Callable[[], Awaitable[None]] | None = None

    async def on_batch(self, bodies: list[bytes], message: KafkaMessage) -> None:
        """Handle a fetched batch: keys concurrently, each key's records in order.

        Raises (so the batch is not acknowledged and is delivered again) only if a
        record could neither be handled nor set aside on the dead-letter topic, or if the
        process is stopping and the batch could not be finished in time.
        """
        if self.shutdown.requested:
            raise StopRequested("stopping: a batch fetched now is left to the next owner")
        records: Sequence[ConsumerRecord[Any, Any]] = message.raw_message
        by_key: dict[tuple[int, bytes | None], list[ConsumerRecord[Any, Any]]] = {}
        for record in records:
            by_key.setdefault((record.partition, record.key), []).append(record)
        outcomes = await self.shutdown.bounded(
            asyncio.gather(
                *(self._in_order(group) for group in by_key.values()), return_exceptions=True
            )
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if self.after_batch is not None:
            await self.shutdown.bounded(self.outages.run_through(self.after_batch))

    async def _in_order(self, records: list[ConsumerRecord[Any, Any]]) -> None:
        for record in records:
            await self.on_record(record)

    async def on_record(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            envelope = parse_headers(record.headers)
            model = catalog.by_type(envelope.type)
            # Opening sealed values reads the case's key: a database outage is waited out.
            payload = await self.outages.run_through(
                lambda: vault.read(model, record.value or b"", envelope.correlation_id)
            )
        except (InvalidEnvelope, catalog.UnknownMessageType, ValidationError) as exc:
            log.warning(
                "unreadable message set aside",
                extra={
                    "topic": record.topic,
                    "offset": record.offset,
                    "error": safe_description(exc),
                },
            )
            await self._dead_letter(record, exc, attempts=0)
            return
        with (
            message_context(
                correlation=envelope.correlation_id,
                causation=envelope.causation_id,
                message=envelope.id,
            ),
            telemetry.consuming(record),
        ):
            await self._handle(record, payload, envelope)

    async def _handle(
        self, record: ConsumerRecord[Any, Any], payload: Message, envelope: Envelope
    ) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                # An outage is waited out inside: it never uses up an attempt.
                await self.outages.run_through(lambda: self.handler(payload, envelope))
            except Exception as exc:
                if self.shutdown.requested:
                    # Neither retried nor dead-lettered while stopping: left uncommitted
                    # for the partition's next owner, where it gets its full attempts.
                    raise
                if attempt == self.max_attempts:
                    log.error(
                        "handler failed for good; message set aside",
                        extra={
                            "message_type": envelope.type,
                            "attempts": attempt,
                            "error": safe_description(exc),
                        },
                        # A validation error's traceback would quote the submitted values.
                        exc_info=None if isinstance(exc, ValidationError) else exc,
                    )
                    await self._dead_letter(record, exc, attempts=attempt)
                    return
                delay = min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1))
                log.warning(
                    "handler failed; retrying",
                    extra={
                        "message_type": envelope.type,
                        "attempt": attempt,
                        "retry_in_s": delay,
                        "error": f"{type(exc).__name__}: {safe_description(exc)}",
                    },
                )
                await asyncio.sleep(delay)
            else:
                return

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], error: BaseException, *, attempts: int
    ) -> None:
        # Raising from here leaves the record unacknowledged: NACK_ON_ERROR seeks back.
        headers = {name: _text(value) for name, value in record.headers}
        headers |= {
            "x-dlq-error": safe_description(error),
            "x-dlq-error-type": f"{type(error).__module__}.{type(error).__qualname__}",
            "x-dlq-attempts": str(attempts),
            "x-dlq-original-topic": record.topic,
            "x-dlq-original-partition": str(record.partition),
            "x-dlq-original-offset": str(record.offset),
            "x-dlq-group": self.group,
            "x-dlq-source": self.source,
            "x-dlq-failed-at": format_time(datetime.now(UTC)),
        }
        correlation = headers.get("ce_correlationid") or headers.get("correlation_id")
        try:
            await self.outages.run_through(
                lambda: self.broker.publish(
                    record.value or b"",
                    self.topic + DLQ_SUFFIX,
                    key=record.key,
                    headers=headers,
                    correlation_id=correlation,
                )
            )
        except Exception:
            log.exception(
                "dead-letter topic not writable; the message will be delivered again",
                extra={"dlq": self.topic + DLQ_SUFFIX, "offset": record.offset},
            )
            raise
        telemetry.dead_lettered(record.topic, self.group)
        log.error(
            "message sent to the dead-letter topic",
            extra={
                "dlq": self.topic + DLQ_SUFFIX,
                "partition": record.partition,
                "offset": record.offset,
                "attempts": attempts,
                "error_type": headers["x-dlq-error-type"],
            },
        )


async def _raw_bodies(message: StreamMessage[Any]) -> list[bytes]:
    # The bodies are parsed here, not by FastStream, so that bad JSON reaches the DLQ
    # instead of failing before the handler (which would loop on NACK).
    return [bytes(record.value or b"") for record in message.raw_message]


async def _tolerant_parser(
    records: tuple[ConsumerRecord[Any, Any], ...],
    original: Callable[[tuple[ConsumerRecord[Any, Any], ...]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    # FastStream decodes header values as strict UTF-8; one bad header would make the
    # batch unparseable and the partition stuck. Decode leniently for FastStream and
    # keep the untouched records for the envelope check (which sends them to the DLQ).
    try:
        return await original(records)
    except UnicodeDecodeError:
        lenient = tuple(
            dataclasses.replace(
                record, headers=[(name, _text(value).encode()) for name, value in record.headers]
            )
            for record in records
        )
        parsed = await original(lenient)
        parsed.raw_message = records
        return parsed


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", errors="replace")
