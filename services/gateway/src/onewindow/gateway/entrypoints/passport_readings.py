"""`POST /v1/passport-readings` (issue 17): a passport's data page read at a kiosk or from
a phone photo. A `multipart/form-data` body with an `image` (JPEG or PNG by content, at most
10 MiB), or an `mrz` field (the two typed lines) → 200 with the two lines and the fields
they encode, every check digit verified. Nothing is stored: the image is read in memory
and dropped.

Problems: no zone found on the image (422 `mrz-not-found`), a check digit or a field that
fails (422 `mrz-invalid`, naming it, with the lines as read), neither or both given (422),
an image that is not JPEG or PNG (415), the OCR engine missing (503).
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.adapters.mrz_reader import MrzReader
from onewindow.gateway.application.gateway import Gateway
from onewindow.gateway.domain.passport_reading import (
    MrzError,
    NoMrzFound,
    lines_of,
    ocr_repaired,
    reading,
)
from onewindow.gateway.domain.uploads import sniff
from onewindow.gateway.entrypoints.dependencies import require_roles
from onewindow.gateway.entrypoints.rate_limits import enforce
from onewindow.runtime.clock import local_today
from onewindow.runtime.problems import FieldError, ProblemError, responses

passport_readings = APIRouter(prefix="/v1/passport-readings", tags=["applications"])
Reader = Annotated[Actor, Depends(require_roles("applicant", "employer", "clerk"))]
IMAGES = {"image/jpeg", "image/png"}


def _invalid(name: str, detail: str, errors: list[FieldError] | None = None) -> ProblemError:
    return ProblemError(422, name, detail, errors=errors)


@passport_readings.post(
    "",
    summary="Read a passport's machine readable zone (an image, or the typed lines)",
    responses=responses(401, 403, 413, 415, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "image": {"type": "string", "format": "binary"},
                            "mrz": {"type": "string", "description": "The two lines, one a line."},
                        },
                    }
                }
            }
        }
    },
)
async def read_passport(request: Request, actor: Reader) -> dict[str, Any]:
    """The MRZ's two lines and the fields they encode (`surname`, `given_names`,
    `passport_number`, `nationality`, `date_of_birth`, `sex`, `expires_on`, …), once every
    check digit holds. `source` says whether they came from the image or were typed."""
    # Paced like uploads: an image comes in either way (this one is read, then dropped).
    enforce(request, "uploads", actor)
    form = await request.form(max_files=1, max_fields=2)
    try:
        image, typed = form.get("image"), form.get("mrz")
        if (image is None) == (typed is None):
            raise _invalid("validation-error", "Send either an image or the typed mrz, not both.")
        if isinstance(image, UploadFile):
            text = await _read_image(request, image)
            source = "image"
        else:
            text, source = str(typed), "typed"
    finally:
        await form.close()
    today = local_today(cast(Gateway, request.app.state.gateway).clock)
    try:
        lines = lines_of(text)
        if source == "image":
            lines = ocr_repaired(lines)
    except NoMrzFound:
        raise _invalid("mrz-not-found", "No machine readable zone was found.") from None
    try:
        return reading(lines, today, source)
    except MrzError as error:
        read = " / ".join(lines)
        raise _invalid(
            "mrz-invalid",
            f"{error.message} (read from the {source}: {read})",
            [FieldError(loc=["mrz", error.part], msg=error.message)],
        ) from None


async def _read_image(request: Request, image: UploadFile) -> str:
    content = await image.read()
    if sniff(content[:16]) not in IMAGES:
        raise ProblemError(415, "unsupported-media-type", "The image must be a JPEG or a PNG.")
    reader = cast(MrzReader, request.app.state.mrz_reader)
    text = await reader.read(content)
    if text is None:
        raise _invalid(
            "mrz-not-found",
            "No machine readable zone could be read on the image: photograph the whole data "
            "page, sharp and evenly lit, or type the two lines.",
        )
    return text
