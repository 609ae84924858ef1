"""Stored event types: a stable name per stored event, one registry per service, upcasters.

A stored event is named `<context>.<Event>.v<n>` (`applications.CaseOpened.v1`), never by
whatever its class happens to be called, so a class may be renamed or moved freely. When
an event's shape changes, its version goes up and an upcaster turns the stored data of
the old version into the new shape on the way in: history is never rewritten, and a
stream written years ago replays with today's code.

Streams written before stable names carry the bare class name (`CaseOpened`); it reads
as version 1 of that event.

    TYPES = EventTypes("applications")
    TYPES.add(CaseOpened)                    # applications.CaseOpened.v1
    TYPES.add(CaseDecided, version=2)        # applications.CaseDecided.v2, and then
    TYPES.upcaster("CaseDecided", 1, lambda data: {**data, "reasons": []})
    event = TYPES.revive(stored.type, stored.data)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

E = TypeVar("E", bound=BaseModel)
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_NAME = re.compile(r"^(?P<context>[a-z][a-z0-9-]*)\.(?P<event>[A-Za-z][A-Za-z0-9]*)\.v(?P<v>\d+)$")
# Every registered class's stored name, whichever registry holds it (the event store asks).
_STORED_NAMES: dict[type[BaseModel], str] = {}


class UnknownEventType(LookupError):
    """A stored event type this version of the service does not know."""


def stored_name(event: BaseModel) -> str:
    """The name `event` is stored under: its registered name, else its class name."""
    cls = type(event)
    return _STORED_NAMES.get(cls, cls.__name__)


class EventTypes(Generic[E]):
    """One service's (or one aggregate's) stored event types."""

    def __init__(self, context: str) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", context):
            raise ValueError(f"a context is lower-case words with dashes, got {context!r}")
        self.context = context
        self._current: dict[str, tuple[type[E], int]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def add(self, cls: type[E], *, version: int = 1, event: str | None = None) -> type[E]:
        """Register `cls` as version `version` of event `event` (its class name unless
        given: give it when the class is renamed, so old streams still find it)."""
        name = event or cls.__name__
        if name in self._current:
            raise ValueError(f"{self.context}.{name} is registered twice")
        self._current[name] = (cls, version)
        _STORED_NAMES[cls] = f"{self.context}.{name}.v{version}"
        return cls

    def add_all(self, classes: Iterable[type[E]]) -> None:
        for cls in classes:
            self.add(cls)

    def upcaster(self, event: str, from_version: int, upcast: Upcaster) -> None:
        """How the data of version `from_version` of `event` becomes the next version's."""
        self._upcasters[(event, from_version)] = upcast

    def name_of(self, cls: type[E]) -> str:
        return _STORED_NAMES[cls]

    @property
    def names(self) -> list[str]:
        """Every current stored name, sorted."""
        return sorted(_STORED_NAMES[cls] for cls, _ in self._current.values())

    def __contains__(self, type_name: str) -> bool:
        """Whether this code can read events stored as `type_name`."""
        try:
            event, version = self._parse(type_name)
        except UnknownEventType:
            return False
        return version <= self._current[event][1]

    def _parse(self, type_name: str) -> tuple[str, int]:
        matched = _NAME.match(type_name)
        if matched is None:
            event, version = type_name, 1  # written before stable names: version 1
        elif matched["context"] != self.context:
            raise UnknownEventType(type_name)
        else:
            event, version = matched["event"], int(matched["v"])
        if event not in self._current:
            raise UnknownEventType(type_name)
        return event, version

    def revive(self, type_name: str, data: dict[str, Any]) -> E:
        """The event stored as `type_name` with `data`, upcast to its current shape."""
        event, version = self._parse(type_name)
        cls, current = self._current[event]
        if version > current:
            raise UnknownEventType(f"{type_name} is newer than this code (v{current})")
        while version < current:
            try:
                data = self._upcasters[(event, version)](dict(data))
            except KeyError:
                raise UnknownEventType(
                    f"{type_name}: no upcaster from v{version} of {event}"
                ) from None
            version += 1
        return cls.model_validate(data)
