"""Uploaded documents (API.md v1.1 `POST /v1/uploads`; DOMAIN.md "Evidence").

A scan of a certificate that is not digitised is accepted when its content is a PDF,
a JPEG or a PNG (by its first bytes: the filename and the declared content type are
the client's word, never checked against anything) and it is at most 10 MiB. It is
measured as it arrives (`Intake`), so a larger one is refused after 10 MiB and one
byte, not after being read whole.

An application cites an upload as `{"kind", "upload_id"}`; at the door the gateway
admits only uploads of the cited kind made by the accounts whose case it is
(`citation_violations`), and passes on what it recorded (`cited`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import DocumentKind, DocumentRef
from onewindow.gateway.domain.admission import Inadmissible, Violation
from onewindow.gateway.domain.errors import GatewayError

MediaType = Literal["application/pdf", "image/jpeg", "image/png"]

# API.md v1.1: "PDF, JPEG or PNG by content, ≤ 10 MiB".
MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024
# Each accepted type by the bytes its files begin with (ISO 32000 §7.5.2; the JPEG SOI
# marker and the first marker's 0xFF; the PNG signature, RFC 2083 §3.1).
SIGNATURES: Final[tuple[tuple[bytes, MediaType], ...]] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
# Enough of the head to tell every accepted type apart.
SNIFF_BYTES: Final = max(len(signature) for signature, _ in SIGNATURES)
EXTENSIONS: Final[Mapping[MediaType, str]] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
ACCEPTED: Final = "PDF, JPEG or PNG"


def sniff(head: bytes) -> MediaType | None:
    """The media type a file's first bytes show, or None when it is none of the accepted."""
    return next((media for signature, media in SIGNATURES if head.startswith(signature)), None)


class UploadRefused(GatewayError):
    """An upload the gateway will not store; nothing of it is kept."""


class UploadTooLarge(UploadRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file exceeds {limit} bytes ({limit // (1024 * 1024)} MiB); upload a smaller scan."
        )


class UploadNotAccepted(UploadRefused):
    """The content is not one of the accepted types (whatever its name or declared type)."""

    def __init__(self) -> None:
        super().__init__(
            f"The file's content is not a {ACCEPTED} (judged by its first bytes, not by its "
            "name or declared type)."
        )


class UploadIncomplete(Inadmissible):
    """The form breaks a rule (a field missing, twice, unknown or wrong); nothing is kept."""

    def __init__(self, field: str, msg: str) -> None:
        super().__init__([Violation(("body", field), msg)])


class UploadNotFound(GatewayError):
    """No such upload, or not the caller's to read (the two are not told apart)."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"No upload {upload_id} for this caller.")


@dataclass(frozen=True, slots=True)
class Received:
    """What the gateway measured of a file as it arrived."""

    sha256: str
    size: int
    media_type: MediaType


class Intake:
    """Measures a file while it streams in: size (refused past `limit`), SHA-256, type.

    `take(chunk)` answers the bytes that may be stored now: the first `SNIFF_BYTES` are
    held back until the type is known, so nothing of a refused file is stored.
    """

    def __init__(self, limit: int = MAX_UPLOAD_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self.media_type: MediaType | None = None
        self._head = b""
        self._hash = hashlib.sha256()

    def take(self, chunk: bytes) -> bytes:
        """Count `chunk`; raise `UploadTooLarge` past the limit, `UploadNotAccepted` once the
        head shows another type."""
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge(self.limit)
        self._hash.update(chunk)
        if self.media_type is not None:
            return chunk
        self._head += chunk
        if len(self._head) < SNIFF_BYTES:
            return b""
        self.media_type = _accepted(self._head)
        held, self._head = self._head, b""
        return held

    def finish(self) -> tuple[bytes, Received]:
        """The bytes still held back and the file's facts; refused when empty or of
        another type."""
        if self.size == 0:
            raise UploadIncomplete("file", "the file is empty")
        held, self._head = self._head, b""
        if self.media_type is None:
            self.media_type = _accepted(held)
        return held, Received(self._hash.hexdigest(), self.size, self.media_type)


def _accepted(head: bytes) -> MediaType:
    media = sniff(head)
    if media is None:
        raise UploadNotAccepted()
    return media


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded document as stored: who uploaded it, of what kind, and its facts."""

    upload_id: str
    uploader: str
    uploader_role: str
    kind: DocumentKind
    sha256: str
    size: int
    media_type: MediaType
    uploaded_at: datetime

    @property
    def file_name(self) -> str:
        """The name a download suggests (the client's own name is never kept)."""
        return f"{self.kind}-{self.upload_id}.{EXTENSIONS[self.media_type]}"


def may_download(actor: Actor, upload: Upload) -> bool:
    """Officers and operators read every upload (to verify it); others only their own."""
    return actor.role in ("officer", "operator") or actor.sub == upload.uploader


def citation_violations(
    documents: Sequence[DocumentRef],
    uploads: Mapping[str, Upload],
    accounts: Collection[str],
    *,
    loc: tuple[str | int, ...] = ("body", "documents"),
) -> list[Violation]:
    """Every cited upload that is not one of `accounts`' uploads of the cited kind.

    `uploads` holds the cited uploads that exist. Someone else's upload reads exactly
    like a missing one, so nobody learns that it exists.
    """
    found: list[Violation] = []
    for index, ref in enumerate(documents):
        if ref.upload_id is None:
            continue
        where = (*loc, index, "upload_id")
        upload = uploads.get(ref.upload_id)
        if upload is None or upload.uploader not in accounts:
            found.append(Violation(where, f"no upload {ref.upload_id} of yours"))
        elif upload.kind != ref.kind:
            found.append(
                Violation(where, f"upload {ref.upload_id} is a {upload.kind}, not a {ref.kind}")
            )
    return found


def cited(
    documents: Sequence[DocumentRef], uploads: Mapping[str, Upload]
) -> tuple[DocumentRef, ...]:
    """The citations with what the gateway recorded of each upload (hash, type, moment)."""
    return tuple(
        ref.model_copy(
            update={
                "sha256": upload.sha256,
                "media_type": upload.media_type,
                "uploaded_at": upload.uploaded_at,
            }
        )
        if ref.upload_id is not None and (upload := uploads.get(ref.upload_id)) is not None
        else ref
        for ref in documents
    )


def citing_accounts(actor: Actor, case_applicant: str | None = None) -> frozenset[str]:
    """The accounts whose uploads `actor` may cite for a case: its own, and the applicant
    account the case belongs to (the one an employer names, or the case's own)."""
    return frozenset(a for a in (actor.sub, actor.on_behalf_of, case_applicant) if a)
