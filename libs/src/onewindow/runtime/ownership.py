"""What this process caches because it owns partitions, dropped when it may own fewer.

Kafka gives each key to one consumer of a group, so a service may keep what it last
wrote for a key (an event stream, a read-model entry) and skip reading it back. When the
group rebalances, partitions move to other processes and those entries may go stale:
every subscriber of this process then calls `forget_owned()`, and each registered cache
starts again from the database. Stale entries are still never trusted blindly: the
event store's unique `_id` refuses a stale writer.
"""

from __future__ import annotations

import weakref
from typing import Protocol


class OwnedCache(Protocol):
    def forget_all(self) -> None: ...


_CACHES: weakref.WeakSet[OwnedCache] = weakref.WeakSet()


def register(cache: OwnedCache) -> None:
    """Have `cache.forget_all()` called whenever this process loses partitions."""
    _CACHES.add(cache)


def forget_owned() -> None:
    """Drop every registered cache (partitions were revoked from this process)."""
    for cache in list(_CACHES):
        cache.forget_all()
