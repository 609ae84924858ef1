"""Uploaded documents (API.md v1.1): `POST /v1/uploads`, `GET /v1/uploads/{upload_id}`."""

from __future__ import annotations

import base64
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, StreamingResponse

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.api.uploads import UploadReceived
from onewindow.gateway.application.uploads import Uploads
from onewindow.gateway.domain.uploads import ACCEPTED, MAX_UPLOAD_BYTES
from onewindow.gateway.entrypoints.dependencies import require_roles
from onewindow.gateway.entrypoints.forms import form_events
from onewindow.gateway.entrypoints.rate_limits import enforce
from onewindow.runtime.problems import responses

uploads = APIRouter(prefix="/v1/uploads", tags=["uploads"])

# What a form may carry beside its file: the boundaries, the parts' headers, the kind.
FORM_OVERHEAD_BYTES = 64 * 1024
Uploader = Annotated[Actor, Depends(require_roles("applicant", "employer"))]
Reader = Annotated[Actor, Depends(require_roles("applicant", "employer", "officer", "operator"))]
UploadId = Annotated[str, Path(max_length=64, description="The upload's id.")]

FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"A {ACCEPTED} (by content), at most 10 MiB.",
                        },
                        "kind": {
                            "type": "string",
                            "enum": ["degree", "criminal_record", "health", "talent_recognition"],
                        },
                    },
                }
            }
        },
    }
}


def body_limit(file_limit: int = MAX_UPLOAD_BYTES) -> int:
    """The most a form carrying a file of at most `file_limit` bytes may hold."""
    return file_limit + FORM_OVERHEAD_BYTES


def _uploads(request: Request) -> Uploads:
    return cast(Uploads, request.app.state.uploads)


@uploads.post(
    "",
    status_code=201,
    summary="Upload a scanned document (PDF, JPEG or PNG, at most 10 MiB) to cite it",
    response_model=UploadReceived,
    responses={
        201: {"model": UploadReceived, "description": "Stored; `Location` names it."},
        **responses(400, 401, 403, 413, 415, 422, 429, 503),
    },
    openapi_extra=FORM_SCHEMA,
)
async def upload_document(request: Request, uploader: Uploader) -> JSONResponse:
    """Stores the form's `file`, of the document kind `kind`, and answers its id and SHA-256.

    The type is judged by the content's first bytes, never by the filename or the part's
    declared type; anything but a PDF, JPEG or PNG is 415, a file over 10 MiB 413 (read
    no further), and nothing of a refused upload is kept. Cite it in an application (or a
    supplement) as `{"kind": "…", "upload_id": "…"}`: only its uploader's cases may.
    """
    enforce(request, "uploads", uploader)
    use = _uploads(request)
    upload = await use.receive(uploader, form_events(request, body_limit(use.limit)))
    body = UploadReceived(
        upload_id=upload.upload_id,
        kind=upload.kind,
        sha256=upload.sha256,
        size=upload.size,
        media_type=upload.media_type,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/v1/uploads/{upload.upload_id}"},
    )


@uploads.get(
    "/{upload_id}",
    summary="Download an uploaded document (officers, operators, and its uploader)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, with its media type.",
            "content": {media: {} for media in ("application/pdf", "image/jpeg", "image/png")},
        },
        **responses(401, 403, 404, 503),
    },
)
async def download_document(
    upload_id: UploadId, request: Request, reader: Reader
) -> StreamingResponse:
    """The file as uploaded, streamed from the database; 404 for anyone else's upload."""
    upload, content = await _uploads(request).open(reader, upload_id)
    digest = base64.b64encode(bytes.fromhex(upload.sha256)).decode()
    return StreamingResponse(
        content,
        media_type=upload.media_type,
        headers={
            "Content-Length": str(upload.size),
            "Content-Disposition": f'attachment; filename="{upload.file_name}"',
            # Personal data: no cache keeps it; the browser renders nothing else from it.
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{upload.sha256}"',
            "Repr-Digest": f"sha-256=:{digest}:",
        },
    )
