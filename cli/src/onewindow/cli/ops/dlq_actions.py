"""Replaying and discarding a dead letter, each recorded once in `dlq_actions`.

The action is claimed first (an insert keyed by the dead letter's id, unique), then
carried out. A replay interrupted after its claim may run again: the record keeps its
`ce_id`, so a second copy on the topic is dropped by the consumer's idempotency.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo.errors import DuplicateKeyError

from onewindow.cli.ops.common import mongo, ops_database_name
from onewindow.cli.ops.common import settings as infra_settings
from onewindow.contracts.topics import DLQ_SUFFIX
from onewindow.ops.deadletters import ACTIONS, DeadLetterId
from onewindow.ops.decoding import Decoded
from onewindow.runtime.kafka import PRODUCER_SETTINGS

DLQ_HEADER = "x-dlq-"


async def replay_dead_letter(
    wanted: DeadLetterId, message: Decoded, value: bytes, by: str, reason: str
) -> dict[str, Any]:
    """Send the dead letter (with `value` as its payload) back to its topic, once.

    Returns `{"sent": where}`, or `{"refused": earlier action}` if it was handled before.
    """
    infra = infra_settings()
    original = infra.topic_prefix + wanted.topic.removesuffix(DLQ_SUFFIX)
    claim = {
        "_id": str(wanted),
        "action": "replay",
        "state": "sending",
        "by": by,
        "reason": reason,
        "at": datetime.now(UTC),
        "ce_id": message.id,
        "ce_type": message.ce_type,
        "to_topic": original,
        "corrected": value != (message.raw_value or b""),
    }
    client = mongo(infra)
    try:
        actions = client[ops_database_name(infra)][ACTIONS]
        try:
            await actions.insert_one(claim)
        except DuplicateKeyError:
            earlier = await actions.find_one({"_id": str(wanted)})
            if earlier is None or (earlier["action"], earlier["state"]) != ("replay", "sending"):
                return {"refused": earlier}
            # An earlier replay was interrupted before it was confirmed: send again.
            await actions.update_one({"_id": str(wanted)}, {"$set": {"by": by, "at": claim["at"]}})
        headers = [
            (name, value_text.encode("utf-8"))
            for name, value_text in message.headers.items()
            if not name.startswith(DLQ_HEADER)
        ]
        headers += [("x-replay-of", str(wanted).encode()), ("x-replayed-by", by.encode())]
        producer = AIOKafkaProducer(
            bootstrap_servers=infra.kafka_bootstrap_servers,
            client_id="onewindow-ops",
            **PRODUCER_SETTINGS,
        )
        await producer.start()
        try:
            sent = await producer.send_and_wait(
                original,
                value,
                key=message.key.encode("utf-8") if message.key is not None else None,
                headers=headers,
            )
        finally:
            await producer.stop()
        where = {"topic": original, "partition": sent.partition, "offset": sent.offset}
        await actions.update_one(
            {"_id": str(wanted)},
            {"$set": {"state": "sent", "sent_at": datetime.now(UTC), "sent_to": where}},
        )
        return {"sent": where}
    finally:
        await client.close()


async def record_discard(
    wanted: DeadLetterId, message: Decoded, by: str, reason: str
) -> dict[str, Any] | None:
    """None once recorded; the earlier action if there was one."""
    infra = infra_settings()
    client = mongo(infra)
    try:
        actions = client[ops_database_name(infra)][ACTIONS]
        try:
            await actions.insert_one(
                {
                    "_id": str(wanted),
                    "action": "discard",
                    "state": "done",
                    "by": by,
                    "reason": reason,
                    "at": datetime.now(UTC),
                    "ce_id": message.id,
                    "ce_type": message.ce_type,
                }
            )
        except DuplicateKeyError:
            earlier: dict[str, Any] | None = await actions.find_one({"_id": str(wanted)})
            return earlier or {}
        return None
    finally:
        await client.close()
