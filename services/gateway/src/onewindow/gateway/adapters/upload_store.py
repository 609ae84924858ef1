"""Uploaded documents in the gateway's database, with GridFS (bucket `uploads`).

The bytes are GridFS chunks (`uploads.chunks`, 255 KiB each, unique on
`(files_id, n)`); the file document (`uploads.files`, `_id` = the upload id) carries
the facts in `metadata`: uploader, role, kind, sha256, size, media type, moment.
GridFS writes the file document only when the last chunk is in, so a half-written
upload is never found; one refused while streaming is aborted (its chunks deleted).

FerretDB 1.24 serves all of this (tested by `tests/integration/test_uploads_on_ferretdb`):
the compound unique index on the chunks is enforced, and the chunk reads sorted by `n`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from typing import Any, cast

from gridfs import AsyncGridFSBucket, AsyncGridIn
from gridfs.errors import NoFile
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.gateway.domain.uploads import MediaType, Upload

Document = dict[str, Any]
BUCKET = "uploads"


class UploadWriter:
    """One upload being written: bytes as they come, then its facts (or nothing)."""

    def __init__(self, grid_in: AsyncGridIn) -> None:
        self._grid_in = grid_in

    async def write(self, data: bytes) -> None:
        if data:
            await self._grid_in.write(data)

    async def finish(self, upload: Upload) -> None:
        """Record the facts and make the upload visible (the file document is written)."""
        await self._grid_in.set("metadata", _metadata(upload))
        await self._grid_in.close()

    async def abort(self) -> None:
        """Delete whatever chunks were written; the upload never existed."""
        if not self._grid_in.closed:
            await self._grid_in.abort()


class UploadStore:
    """Uploads in GridFS: written as they stream, read back by id."""

    def __init__(self, db: AsyncDatabase[Document], bucket: str = BUCKET) -> None:
        self.bucket = AsyncGridFSBucket(db, bucket_name=bucket)
        self.files = db[f"{bucket}.files"]
        self.chunks = db[f"{bucket}.chunks"]

    async def ensure_indexes(self) -> None:
        """The indexes GridFS needs (it would create them on the first write; creating them
        at start makes a missing one a start-up failure, not an upload's)."""
        await self.chunks.create_index(
            [("files_id", ASCENDING), ("n", ASCENDING)], unique=True, name="files_id_1_n_1"
        )
        await self.files.create_index(
            [("filename", ASCENDING), ("uploadDate", ASCENDING)], name="filename_1_uploadDate_1"
        )

    def open(self, upload_id: str) -> UploadWriter:
        """A writer for a new upload under `upload_id` (nothing is visible until `finish`)."""
        return UploadWriter(self.bucket.open_upload_stream_with_id(upload_id, upload_id))

    async def find(self, upload_ids: Collection[str]) -> dict[str, Upload]:
        """The uploads among `upload_ids` that exist, by id."""
        if not upload_ids:
            return {}
        # Only finished uploads carry their facts (a file document without them is not one).
        query = {"_id": {"$in": list(upload_ids)}, "metadata.kind": {"$exists": True}}
        cursor = self.files.find(query)
        return {str(doc["_id"]): _upload(doc) async for doc in cursor}

    async def of_applicant(self, account: str) -> list[str]:
        """The ids of the uploads an applicant account made (an erasure deletes them)."""
        query = {"metadata.uploader": account, "metadata.uploader_role": "applicant"}
        return [str(doc["_id"]) async for doc in self.files.find(query, {"_id": True})]

    async def get(self, upload_id: str) -> Upload | None:
        return (await self.find([upload_id])).get(upload_id)

    async def delete(self, upload_id: str) -> None:
        """Delete the upload's bytes and facts (nothing if it is gone already)."""
        try:
            await self.bucket.delete(upload_id)
        except NoFile:
            return

    async def content(self, upload_id: str) -> AsyncIterator[bytes]:
        """The upload's bytes, chunk by chunk (nothing if it is gone)."""
        try:
            grid_out = await self.bucket.open_download_stream(upload_id)
        except NoFile:
            return
        while chunk := await grid_out.readchunk():
            yield chunk


def _metadata(upload: Upload) -> Document:
    return {
        "uploader": upload.uploader,
        "uploader_role": upload.uploader_role,
        "kind": upload.kind,
        "sha256": upload.sha256,
        "size": upload.size,
        "media_type": upload.media_type,
        "uploaded_at": upload.uploaded_at,
    }


def _upload(doc: Document) -> Upload:
    meta = doc["metadata"]
    return Upload(
        upload_id=str(doc["_id"]),
        uploader=str(meta["uploader"]),
        uploader_role=str(meta["uploader_role"]),
        kind=meta["kind"],
        sha256=str(meta["sha256"]),
        size=int(meta["size"]),
        media_type=cast(MediaType, meta["media_type"]),
        uploaded_at=meta["uploaded_at"],
    )
