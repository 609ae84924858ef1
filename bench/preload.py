"""A store that already holds many applications, to see whether cost grows with data.

After the measured phases, the namespace's databases hold what a few hundred real
applications wrote. `preload` copies those documents, under new ids and stream names,
until the store holds about `target` applications' worth: every service's event store,
the saga's case index, the gateway's views, the notifications' delivery log. Copies
keep the shapes, sizes and indexes the services really write; a second closed loop
then runs on top of them, and the report compares its rate with the first one's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from onewindow.runtime.mongo import make_client

# The collections that grow with every application and that the services read by key.
GROWING = ("commits", "applications_view", "cases", "deliveries", "delivery_attempts")
CHUNK = 1000


def clone(doc: dict[str, Any], copy: int) -> dict[str, Any] | None:
    """`doc` as copy number `copy`: its keys moved aside so nothing collides, and its
    outbox (if any) already sent; None for documents with a non-string id."""
    if not isinstance(doc.get("_id"), str):
        return None
    suffix = f"~pre{copy}"
    found = dict(doc)
    found["_id"] = doc["_id"] + suffix
    for key in ("stream", "delivery_id"):
        if isinstance(doc.get(key), str):
            found[key] = doc[key] + suffix
    if found.get("outbox_pending"):
        found["outbox_pending"] = False  # a copy's messages are never published
    return found


async def preload(
    mongodb_url: str,
    namespace: str,
    target: int,
    progress: Callable[[int], None] = lambda _: None,
) -> dict[str, Any]:
    """Copy the namespace's documents until about `target` applications are stored."""
    client = make_client(mongodb_url)
    try:
        names = [n for n in await client.list_database_names() if n.startswith(namespace + "_")]
        cases = client[f"{namespace}_applications"]["cases"]
        existing = await cases.count_documents({})
        copies = max(0, math.ceil((target - existing) / existing)) if existing else 0
        written = 0
        for name in names:
            db = client[name]
            for collection in set(GROWING) & set(await db.list_collection_names()):
                originals = [doc async for doc in db[collection].find({})]
                for copy in range(copies):
                    docs = [c for d in originals if (c := clone(d, copy)) is not None]
                    for at in range(0, len(docs), CHUNK):
                        await db[collection].insert_many(docs[at : at + CHUNK], ordered=False)
                        written += len(docs[at : at + CHUNK])
                        progress(len(docs[at : at + CHUNK]))
        stored = await cases.count_documents({})
    finally:
        await client.close()
    return {"applications_before": existing, "applications_stored": stored, "documents": written}
