"""The gateway's read model, rebuilt from `applications.events` while the gateway answers.

Every event of `applications.events` is projected, by the gateway's own projection
code, into fresh twins of its collections (`applications_view_rebuild`, …); the twins
then replace the live collections. FerretDB 1.24 cannot `renameCollection` over an
existing target (`dropTarget` is not implemented), and renaming the live collection
away first would leave readers a moment with no view at all, so the twins are copied
over the live collections document by document: each replacement is atomic, so a reader
sees a case either as it was or as rebuilt, never missing. Events that arrive while the
rebuild runs are caught up before the swap and again right after it (the projection
applies each event id once).

`onewindow ops rebuild applications` runs this module as its own process,
`python -m onewindow.gateway.ops.rebuild applications`, so the command line needs none
of the gateway's code. Where Kafka and the database are comes from the environment, as
for the gateway itself; stdout carries one JSON object a line: `{"done", "total"}` as
the rebuild goes, then `{"rebuilt": {...}}` with what `Rebuilt` counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.contracts import catalog
from onewindow.contracts.envelope import InvalidEnvelope, parse_headers
from onewindow.contracts.topics import APPLICATIONS_EVENTS
from onewindow.gateway.readmodel.projection import COLLECTIONS, VIEWS, Projection
from onewindow.gateway.settings import GatewaySettings
from onewindow.ops.reading import BusReader
from onewindow.runtime import vault
from onewindow.runtime.mongo import make_client

SUFFIX = "_rebuild"
PROJECTIONS = ("applications",)
SWAP_ROUNDS = 3  # catch-up rounds before a view the live consumer moved is replaced anyway


@dataclass
class Rebuilt:
    events: int = 0
    unreadable: int = 0
    cases: int = 0
    replaced: int = 0
    removed: int = 0


async def _apply(projection: Projection, record: Any, result: Rebuilt) -> None:
    try:
        envelope = parse_headers(record.headers)
        model = catalog.by_type(envelope.type)
        message = await vault.read(model, record.value or b"", envelope.correlation_id)
    except (InvalidEnvelope, catalog.UnknownMessageType, ValidationError):
        result.unreadable += 1  # the live consumer set it aside on the .dlq as well
        return
    await projection.apply(message, envelope)
    result.events += 1


async def _catch_up(reader: BusReader, projection: Projection, result: Rebuilt) -> int:
    before = result.events + result.unreadable
    async for record in reader.until_end():
        await _apply(projection, record, result)
    return result.events + result.unreadable - before


async def _swap_one(
    db: AsyncDatabase[dict[str, Any]], name: str, ids: list[Any] | None, result: Rebuilt
) -> list[Any]:
    """Copy the twin's documents (all, or `ids`) over `name`; return those held back.

    A live view holding an event id the twin lacks was moved by the live consumer after
    the twin's last catch-up: it is held back for another round rather than moved back.
    """
    twin, live = db[name + SUFFIX], db[name]
    held: list[Any] = []
    query: dict[str, Any] = {} if ids is None else {"_id": {"$in": ids}}
    async for doc in twin.find(query):
        if name == VIEWS and ids is None:
            current = await live.find_one({"_id": doc["_id"]}, {"applied": True})
            if current and set(current.get("applied", [])) - set(doc.get("applied", [])):
                held.append(doc["_id"])
                continue
        await live.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        result.replaced += 1
    return held


async def _remove_strays(db: AsyncDatabase[dict[str, Any]], name: str, result: Rebuilt) -> None:
    """Delete live documents no event accounts for (a view the topic knows nothing of)."""
    rebuilt = {doc["_id"] async for doc in db[name + SUFFIX].find({}, {"_id": True})}
    async for doc in db[name].find({}, {"_id": True}):
        if doc["_id"] not in rebuilt:
            await db[name].delete_one({"_id": doc["_id"]})
            result.removed += 1


async def rebuild_applications(
    settings: GatewaySettings, on_progress: Callable[[int, int], None]
) -> Rebuilt:
    """Rebuild the gateway's application read model; `on_progress(done, total)` as it goes."""
    client = make_client(settings.mongodb_url)
    result = Rebuilt()
    vault.install(vault.Keyring(client[settings.vault_database]))
    try:
        db = client[settings.database_name]
        for name in COLLECTIONS:
            await db[name + SUFFIX].drop()
        twin = Projection(db, suffix=SUFFIX)
        await twin.ensure_indexes()
        async with BusReader(
            settings.kafka_bootstrap_servers,
            [APPLICATIONS_EVENTS.name],
            topic_prefix=settings.topic_prefix,
            client_id="onewindow-ops-rebuild",
        ) as reader:
            await reader.from_beginning()
            starts, ends = await reader.beginning_offsets(), await reader.end_offsets()
            total = sum(end - starts.get(tp, 0) for tp, end in ends.items())
            on_progress(0, total)
            async for record in reader.until_end():
                await _apply(twin, record, result)
                on_progress(result.events + result.unreadable, total)
            while await _catch_up(reader, twin, result):
                pass
            for name in COLLECTIONS:
                held = await _swap_one(db, name, None, result)
                for _ in range(SWAP_ROUNDS):
                    if not held:
                        break
                    await _catch_up(reader, twin, result)
                    held = await _swap_one(db, name, held, result)
                if held:
                    await _swap_one(db, name, held, result)
                await _remove_strays(db, name, result)
            # What arrived during the swap went to the live views the swap then replaced.
            await _catch_up(reader, Projection(db), result)
        for name in COLLECTIONS:
            await db[name + SUFFIX].drop()
        result.cases = await db[VIEWS].count_documents({})
    finally:
        vault.install(None)
        await client.close()
    return result


def _report(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("projection", choices=PROJECTIONS)
    parser.parse_args(argv)
    result = asyncio.run(
        rebuild_applications(
            GatewaySettings(), lambda done, total: _report({"done": done, "total": total})
        )
    )
    _report({"rebuilt": asdict(result)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
