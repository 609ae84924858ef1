"""Response body of `POST /v1/uploads` (API.md v1.1)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from onewindow.contracts.v1.common import DocumentKind
from onewindow.gateway.domain.uploads import MediaType


class UploadReceived(BaseModel):
    """An upload stored: cite it as `{"kind": kind, "upload_id": upload_id}`."""

    upload_id: str
    kind: DocumentKind
    sha256: str = Field(description="SHA-256 of the file's bytes, in hex.")
    size: int = Field(description="The file's size in bytes.")
    media_type: MediaType = Field(description="The type its content shows.")
