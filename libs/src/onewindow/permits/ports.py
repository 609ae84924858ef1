"""What the use cases need from the outside world, as protocols the adapters fulfil."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from onewindow.permits.numbers import NumberFormat


class PermitNumbers(Protocol):
    async def allocate(
        self, fmt: NumberFormat, year: int, application_id: str, now: datetime
    ) -> str:
        """A number never allocated before, recorded as `application_id`'s."""
        ...

    async def application_of(self, number: str) -> str | None:
        """The application a number was allocated to."""
        ...


class OpenReservations(Protocol):
    async def track(self, application_id: str, reserved_until: datetime) -> None: ...

    async def forget(self, application_id: str) -> None: ...

    async def lapsed(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        """Applications whose reservation ran out at or before `now`, with that moment."""
        ...
