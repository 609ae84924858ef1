"""The base of every message on the bus: frozen, tolerant of unknown fields, typed.

Each concrete message names its CloudEvents `type` (`onewindow.<context>.<Name>.v1`);
`catalog.by_type` maps a type back to its model.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    """A command or an event. Readers ignore fields they do not know (additive changes)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]
    CONTEXT: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "CONTEXT" in cls.__dict__ or not hasattr(cls, "CONTEXT"):
            return
        cls.TYPE = f"onewindow.{cls.CONTEXT}.{cls.__name__}.v{cls.VERSION}"


class Command(Message):
    """An imperative request to one service (`AssessWorkPermit`)."""


class Event(Message):
    """Something that happened (`WorkPermitReserved`)."""
