"""Query collections of the registry on MongoDB (FerretDB-compatible).

The only read that is not by id is "the certificates of this person"; it is
served from one collection indexed on `person_ref`. Documents carry the version
of the stream they reflect, so a late or repeated write never moves a view back.
Reads by id load the record's own stream instead, which is always current.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from onewindow.identity.domain.registry import CertificateRecord

CERTIFICATES = "registry_certificates"


class MongoCertificateViews:
    """Certificates by holder, kept by `application.registry` right after each commit."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db[CERTIFICATES]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("person_ref", ASCENDING), ("_id", ASCENDING)])

    async def put(self, certificate: CertificateRecord, person_ref: str, version: int) -> None:
        """Show this version unless a newer one is already shown."""
        try:
            await self._collection.update_one(
                {"_id": certificate.certificate_id, "version": {"$lt": version}},
                {
                    "$set": {
                        "person_ref": person_ref,
                        "version": version,
                        "certificate": certificate.model_dump(mode="json"),
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            # The filter missed because the shown version is already as new: nothing to do.
            return

    async def held_by(self, person_ref: str) -> list[CertificateRecord]:
        """Every certificate whose holder has this reference, ordered by id."""
        cursor = self._collection.find({"person_ref": person_ref}).sort("_id", ASCENDING)
        return [CertificateRecord.model_validate(doc["certificate"]) async for doc in cursor]
