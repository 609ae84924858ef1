"""The reservation-expiry timer: a periodic scan for reservations that ran out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from onewindow.permits.service import PermitService
from onewindow.runtime.outages import tick_failed

log = logging.getLogger(__name__)


def expiry_scheduler(
    permits: PermitService[Any, Any], interval_s: float
) -> Callable[[], Coroutine[Any, Any, None]]:
    """A background task that lets lapsed reservations expire every `interval_s` seconds.

    A failed scan is logged and tried again at the next tick: the reservations stay
    open in the meantime, and a scan is idempotent.
    """

    async def run() -> None:
        while True:
            tried_at = time.monotonic()
            try:
                count = await permits.expire_lapsed_reservations()
                if count:
                    log.info("lapsed reservations expired", extra={"count": count})
            except asyncio.CancelledError:
                raise
            except Exception as error:
                tick_failed(error, "the reservation expiry scan", tried_at=tried_at)
            await asyncio.sleep(interval_s)

    return run
