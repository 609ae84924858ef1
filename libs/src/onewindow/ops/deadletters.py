"""Dead letters as operators handle them: their ids, and the record of what was done.

A dead letter is named `<dlq topic>/<partition>/<offset>` with the registry's topic
name (no deployment prefix), e.g. `identity.commands.dlq/3/12`. What an operator did
with one (replayed, discarded) is kept in the collection `dlq_actions` of the database
`<db prefix>_ops`, one document per dead letter whose `_id` is that name: the unique
`_id` is what makes a second replay of the same dead letter impossible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts.topics import DLQ_SUFFIX

ACTIONS = "dlq_actions"


def ops_database(db_prefix: str) -> str:
    """The name of the operators' database of a deployment."""
    return f"{db_prefix}_ops"


@dataclass(frozen=True, order=True)
class DeadLetterId:
    """Where a dead letter is: its `.dlq` topic (registry name), partition and offset."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"

    @classmethod
    def parse(cls, text: str, *, topic_prefix: str = "") -> DeadLetterId:
        """`identity.commands.dlq/3/12` (a prefixed topic name is accepted too)."""
        topic, _, rest = text.strip().rpartition("/")
        topic, _, partition = topic.rpartition("/")
        try:
            found = cls(topic.removeprefix(topic_prefix), int(partition), int(rest))
        except ValueError:
            raise ValueError(f"{text!r} is not a dead letter id like topic.dlq/3/12") from None
        if not found.topic.endswith(DLQ_SUFFIX):
            raise ValueError(f"{found.topic!r} is not a dead-letter topic (…{DLQ_SUFFIX})")
        return found


async def actions_by_id(
    db: AsyncDatabase[dict[str, Any]], ids: Iterable[DeadLetterId] | None = None
) -> dict[str, dict[str, Any]]:
    """What was done with dead letters, by id (every one recorded if `ids` is None)."""
    query: dict[str, Any] = {} if ids is None else {"_id": {"$in": [str(i) for i in ids]}}
    return {str(doc["_id"]): doc async for doc in db[ACTIONS].find(query)}
