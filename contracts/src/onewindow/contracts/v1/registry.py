"""The e-government registry as clerks write it (API.md "Registry (clerks)").

A clerk `PUT`s each record at its own path, under `/v1/registry` at the gateway, and
`GET`s it there:

| path | body |
|---|---|
| `employers/{uscc}` | `EmployerRecord` |
| `certificates/{certificate_id}` | `CertificateRecord` |
| `watchlist/{nationality}/{passport_number}` | `WatchlistEntry` |

The gateway checks the body at the door and relays it to identity's internal API
(`/internal/registry/...`), which keeps it; the seeding of demos, tests and the
benchmark writes it through the gateway like any client. All three use these models.
A `PUT`'s answer and a `GET` are the body with its key (`uscc`, `id`, or `nationality`
and `passport_number`) and `recorded_by`, the clerk who recorded that version
(`{"sub", "role"}`, null for versions recorded before identity kept it; identity takes it
from the gateway's service credential, never from a body); `GET
certificates?nationality=…&passport_number=…` lists one holder's certificates as
`{"items": [...]}`, without `recorded_by`.

The models check what needs no reference data: the members, their types and bounds,
and dates written `YYYY-MM-DD`. Whether a country code is ISO 3166-1 and a passport
number well formed is checked with `onewindow.runtime.validation` by the gateway and
again by identity; the rules between a certificate's fields are each side's own (the
gateway refuses them at the door, identity's records keep theirs).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from onewindow.contracts.v1.common import DocumentKind

NAME_MAX = 200
ISSUER_MAX = 200
NOTE_MAX = 2000
DETAILS_MAX = 20  # members of a certificate's `details`
DETAIL_KEY_MAX = 50
DETAIL_TEXT_MAX = 500

# A degree names its level in `details.level`.
DegreeLevel = Literal["doctorate", "master", "bachelor"]
DEGREE_LEVELS: tuple[DegreeLevel, ...] = get_args(DegreeLevel)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _calendar_date(value: Any) -> Any:
    # JSON has no date type: a date is a string YYYY-MM-DD, never a number (which
    # pydantic would read as a Unix time) nor a timestamp.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
Issuer = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ISSUER_MAX)
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX)]
DetailKey = Annotated[str, StringConstraints(min_length=1, max_length=DETAIL_KEY_MAX)]
DetailValue = (
    Annotated[str, StringConstraints(max_length=DETAIL_TEXT_MAX)] | int | float | bool | None
)


class RegistryBody(BaseModel):
    """A clerk's body: an unknown member is an error (a typo must not pass unnoticed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EmployerRecord(RegistryBody):
    """`PUT employers/{uscc}`: the employer's name and the last day its licence is valid."""

    name: Name
    licence_valid_until: CalendarDate


class Holder(RegistryBody):
    """Whose certificate it is, by passport: an ISO 3166-1 alpha-3 country and a number."""

    nationality: Annotated[str, StringConstraints(max_length=8)]
    passport_number: Annotated[str, StringConstraints(max_length=16)]


class CertificateRecord(RegistryBody):
    """`PUT certificates/{certificate_id}`: a digitised certificate and its holder.

    `valid_until` is None for a document that does not expire; a `degree` names its
    level in `details.level` (one of `DEGREE_LEVELS`); a `talent_recognition` makes its
    holder Category A directly.
    """

    kind: DocumentKind
    holder: Holder
    issued_on: CalendarDate
    valid_until: CalendarDate | None = None
    issuer: Issuer | None = None
    details: dict[DetailKey, DetailValue] = Field(default_factory=dict, max_length=DETAILS_MAX)


class WatchlistEntry(RegistryBody):
    """`PUT watchlist/{nationality}/{passport_number}`: why the passport is watched.

    A match raises the `watchlist_match` flag: the case goes to an officer.
    """

    note: Note
