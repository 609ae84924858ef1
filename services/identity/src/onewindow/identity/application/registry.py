"""The registry's use cases: clerks record employers, certificates and watch-list entries.

Every version keeps the clerk who recorded it, and a read returns it with the record.

A write returns only after its commit is in the store, so a case verified right
after a clerk's `PUT` sees the record (verification reads the record's stream).
The certificates-by-holder view is brought up to date right after the commit; a
clerk retrying a write whose answer was lost brings it up to date again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Generic, Protocol

from onewindow.identity.application.streams import (
    certificate_stream,
    employer_stream,
    history,
    watchlist_stream,
)
from onewindow.identity.domain.person import PassportHolder
from onewindow.identity.domain.registry import (
    CertificateRecord,
    EmployerRecord,
    R,
    Recorded,
    Recorder,
    WatchlistEntry,
    current,
    record,
)
from onewindow.runtime.eventstore import ConcurrencyConflict, EventStore

log = logging.getLogger(__name__)

# Two clerks correcting the same record at once: each retry re-reads the latest version.
MAX_ATTEMPTS = 5


class CertificateViews(Protocol):
    async def put(self, certificate: CertificateRecord, person_ref: str, version: int) -> None: ...

    async def held_by(self, person_ref: str) -> list[CertificateRecord]: ...


@dataclass(frozen=True, slots=True)
class Stored(Generic[R]):
    """A record as stored, with the clerk who recorded it: `created` when this write
    recorded its first version."""

    recorded: Recorded[R]
    created: bool
    version: int


class Registry:
    """The e-government registry of digitised records."""

    def __init__(self, store: EventStore, views: CertificateViews, person_secret: bytes) -> None:
        self._store = store
        self._views = views
        self._secret = person_secret

    def person_ref(self, holder: PassportHolder) -> str:
        return holder.ref(self._secret)

    async def _record(self, stream: str, new: R, by: Recorder) -> Stored[R]:
        attempt = 0
        while True:
            attempt += 1
            loaded = await self._store.load(stream)
            recording = record(current(type(new), history(loaded)), new, by)
            if not recording.events:
                return Stored(recording.recorded, created=False, version=loaded.version)
            try:
                version = await self._store.append(stream, loaded.version, recording.events)
            except ConcurrencyConflict:
                if attempt == MAX_ATTEMPTS:
                    raise
                continue
            return Stored(recording.recorded, created=recording.created, version=version)

    async def _load(self, stream: str, record_type: type[R]) -> Recorded[R] | None:
        return current(record_type, history(await self._store.load(stream)))

    async def record_employer(
        self, employer: EmployerRecord, by: Recorder
    ) -> Stored[EmployerRecord]:
        """Record (or correct) an employer; durable when this returns."""
        stored = await self._record(employer_stream(employer.uscc), employer, by)
        log.info("employer recorded", extra={"uscc": employer.uscc, "version": stored.version})
        return stored

    async def employer(self, uscc: str) -> Recorded[EmployerRecord] | None:
        return await self._load(employer_stream(uscc), EmployerRecord)

    async def record_certificate(
        self, certificate: CertificateRecord, by: Recorder
    ) -> Stored[CertificateRecord]:
        """Record (or correct) a certificate; durable, and listed under its holder, on return.

        Raises `InvalidRecord` for a certificate the registry cannot keep.
        """
        stream = certificate_stream(certificate.certificate_id)
        stored = await self._record(stream, certificate, by)
        person_ref = self.person_ref(certificate.holder.as_passport_holder())
        await self._views.put(stored.recorded.record, person_ref, stored.version)
        log.info(
            "certificate recorded",
            extra={
                "certificate_id": certificate.certificate_id,
                "kind": certificate.kind,
                "person_ref": person_ref,
                "version": stored.version,
            },
        )
        return stored

    async def certificate(self, certificate_id: str) -> Recorded[CertificateRecord] | None:
        return await self._load(certificate_stream(certificate_id), CertificateRecord)

    async def certificates_held_by(self, holder: PassportHolder) -> list[CertificateRecord]:
        """Every certificate of this person, ordered by id."""
        return await self._views.held_by(self.person_ref(holder))

    async def record_watchlist_entry(
        self, entry: WatchlistEntry, by: Recorder
    ) -> Stored[WatchlistEntry]:
        """Put a person on the watch list (or change the note); durable when this returns."""
        person_ref = self.person_ref(entry.holder())
        stored = await self._record(watchlist_stream(person_ref), entry, by)
        log.info("watch-list entry recorded", extra={"person_ref": person_ref})
        return stored

    async def watchlist_entry(self, holder: PassportHolder) -> Recorded[WatchlistEntry] | None:
        return await self._load(watchlist_stream(self.person_ref(holder)), WatchlistEntry)
