"""The names of the identity service's event streams, in one place.

Streams of persons are named by `person_ref`, never by passport number, so no
key, index or log line of the store carries it.
"""

from __future__ import annotations


def employer_stream(uscc: str) -> str:
    return f"employer-{uscc}"


def certificate_stream(certificate_id: str) -> str:
    return f"certificate-{certificate_id}"


def watchlist_stream(person_ref: str) -> str:
    return f"watchlist-{person_ref}"


def open_case_stream(person_ref: str, uscc: str) -> str:
    """The claim of one person on one employer: which case, if any, is open."""
    return f"open-case-{person_ref}-{uscc}"


def case_stream(application_id: str) -> str:
    return f"case-{application_id}"
