"""The upload use cases: receive a file as it streams in, hand it back, admit citations.

`receive` reads the parts of a `multipart/form-data` body as events (`PartStarted`,
`PartData`, `PartEnded`, in the order they arrive), measures the file while writing it
to the store, and makes it visible only once the whole form was read and found right;
on any refusal (or a client gone mid-way) whatever was written is deleted.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import DocumentKind, DocumentRef
from onewindow.gateway.adapters.upload_store import UploadStore, UploadWriter
from onewindow.gateway.domain import admission
from onewindow.gateway.domain.idempotency import to_millis
from onewindow.gateway.domain.uploads import (
    MAX_UPLOAD_BYTES,
    Intake,
    Received,
    Upload,
    UploadIncomplete,
    UploadNotFound,
    citation_violations,
    cited,
    may_download,
)
from onewindow.runtime.clock import Clock

# The form's fields (also spelled out in `_Form.take`'s patterns, which take literals).
FILE_FIELD = "file"
KIND_FIELD = "kind"
# A `kind` is a short word; more than this is not one.
KIND_MAX_BYTES = 64
KINDS: dict[str, DocumentKind] = {kind: kind for kind in get_args(DocumentKind)}

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartStarted:
    """A part of the form begins: its field name, and whether it carries a file."""

    name: str
    is_file: bool


@dataclass(frozen=True, slots=True)
class PartData:
    data: bytes


@dataclass(frozen=True, slots=True)
class PartEnded:
    pass


FormEvent = PartStarted | PartData | PartEnded


class Uploads:
    """`POST /v1/uploads`, `GET /v1/uploads/{id}`, and the check of cited uploads."""

    def __init__(
        self,
        store: UploadStore,
        clock: Clock,
        *,
        limit: int = MAX_UPLOAD_BYTES,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limit = limit
        self.new_id = new_id

    async def receive(self, uploader: Actor, form: AsyncIterator[FormEvent]) -> Upload:
        """Store the form's one file of the form's `kind`; raise `UploadRefused` otherwise."""
        upload_id = self.new_id()
        reading = _Form(self.store, upload_id, self.limit)
        try:
            async for event in form:
                await reading.take(event)
            upload = reading.upload(upload_id, uploader, to_millis(self.clock.now()))
            await reading.finish(upload)
        except BaseException:
            await reading.abort()
            raise
        return upload

    async def open(self, reader: Actor, upload_id: str) -> tuple[Upload, AsyncIterator[bytes]]:
        """The upload and its bytes, for officers, operators and its uploader."""
        upload = await self.store.get(upload_id)
        if upload is None or not may_download(reader, upload):
            raise UploadNotFound(upload_id)
        return upload, self.store.content(upload_id)

    async def remove(self, upload_ids: Collection[str], *, applicant: str | None) -> None:
        """Delete these uploads and every upload of the `applicant` account (an erasure:
        the scans of an erased person's cases, cited or not)."""
        of_account = await self.store.of_applicant(applicant) if applicant else []
        for upload_id in {*upload_ids, *of_account}:
            await self.store.delete(upload_id)

    async def admit(
        self,
        documents: Sequence[DocumentRef],
        accounts: Collection[str],
        loc: tuple[str | int, ...] = ("body", "documents"),
    ) -> tuple[DocumentRef, ...]:
        """The citations, each upload with what was recorded of it; raises `Inadmissible`
        for an upload that is not one of `accounts`' of the cited kind."""
        wanted = {ref.upload_id for ref in documents if ref.upload_id is not None}
        found = await self.store.find(wanted)
        admission.check(citation_violations(documents, found, accounts, loc=loc))
        return cited(documents, found)


@dataclass(slots=True)
class _File:
    """The form's file while it streams in: measured, and written as it comes."""

    intake: Intake
    writer: UploadWriter


class _Form:
    """The state of one form being read: which part is open, the file, the kind."""

    def __init__(self, store: UploadStore, upload_id: str, limit: int) -> None:
        self.store, self.upload_id, self.limit = store, upload_id, limit
        self.part: PartStarted | None = None
        self.file: _File | None = None
        self.kind: bytearray | None = None
        self.received: Received | None = None

    async def take(self, event: FormEvent) -> None:
        match event:
            case PartStarted(name="file", is_file=True):
                if self.file is not None:
                    raise UploadIncomplete(FILE_FIELD, "send one file per upload")
                self.file = _File(Intake(self.limit), self.store.open(self.upload_id))
            case PartStarted(name="kind", is_file=False):
                if self.kind is not None:
                    raise UploadIncomplete(KIND_FIELD, "name the kind once")
                self.kind = bytearray()
            case PartStarted(name="file"):
                raise UploadIncomplete(FILE_FIELD, "must be a file (a part with a filename)")
            case PartStarted(name="kind"):
                raise UploadIncomplete(KIND_FIELD, "must be a plain field, not a file")
            case PartStarted(name=name):
                raise UploadIncomplete(
                    name or "form", "unknown field: the form has a file and a kind"
                )
            case PartData(data=data):
                await self._data(data)
            case PartEnded():
                if self.file is not None and self.part is not None and self.part.is_file:
                    held, self.received = self.file.intake.finish()
                    await self.file.writer.write(held)
        if isinstance(event, PartStarted):
            self.part = event
        elif isinstance(event, PartEnded):
            self.part = None

    async def _data(self, data: bytes) -> None:
        if self.part is None:
            return
        if self.part.is_file and self.file is not None:
            await self.file.writer.write(self.file.intake.take(data))
        elif self.kind is not None:
            self.kind += data
            if len(self.kind) > KIND_MAX_BYTES:
                raise UploadIncomplete(KIND_FIELD, _kinds_message())

    def upload(self, upload_id: str, uploader: Actor, at: datetime) -> Upload:
        if self.received is None:
            raise UploadIncomplete(FILE_FIELD, "a file is required")
        if self.kind is None:
            raise UploadIncomplete(KIND_FIELD, "the document's kind is required")
        kind = KINDS.get(self.kind.decode("utf-8", errors="replace").strip())
        if kind is None:
            raise UploadIncomplete(KIND_FIELD, _kinds_message())
        return Upload(
            upload_id=upload_id,
            uploader=uploader.sub,
            uploader_role=uploader.role,
            kind=kind,
            sha256=self.received.sha256,
            size=self.received.size,
            media_type=self.received.media_type,
            uploaded_at=at,
        )

    async def finish(self, upload: Upload) -> None:
        if self.file is not None:
            await self.file.writer.finish(upload)

    async def abort(self) -> None:
        if self.file is None:
            return
        # A failed clean-up must not hide why the upload was refused; its chunks, without a
        # file document, are never found (a later sweep may delete them).
        with contextlib.suppress(Exception):
            await self.file.writer.abort()
            return
        log.warning("chunks of refused upload %s left behind", self.upload_id)


def _kinds_message() -> str:
    return "must be one of " + ", ".join(sorted(KINDS))
