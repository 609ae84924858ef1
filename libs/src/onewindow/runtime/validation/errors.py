"""The one error family of input validation, so callers map it to one problem type."""

from __future__ import annotations


class InvalidInput(ValueError):
    """A value that fails a format rule. `field` names the input it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
