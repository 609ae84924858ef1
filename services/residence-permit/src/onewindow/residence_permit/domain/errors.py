"""Errors of the residence-permit domain."""

from __future__ import annotations


class PermitNumberNeeded(Exception):
    """The decision reserves a permit and needs a freshly allocated number to do so.

    The application layer allocates one (numbers are never reused) and decides again.
    """
