"""Reading a passport's MRZ off an image: PassportEye finds the zone and has Debian's
tesseract-ocr read it. In memory, in a worker thread (a read takes seconds of CPU), at
most `concurrency` at once; nothing is written anywhere."""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
from typing import Any

from onewindow.gateway.domain.errors import UpstreamUnavailable

log = logging.getLogger(__name__)


class MrzReader:
    """The MRZ text PassportEye reads on an image, or None when it finds none."""

    def __init__(self, concurrency: int = 1) -> None:
        self._slots = asyncio.Semaphore(concurrency)

    async def read(self, image: bytes) -> str | None:
        """The raw text of the zone (two lines), None when no zone was found; 503 when
        the OCR engine is not installed."""
        if shutil.which("tesseract") is None:
            raise UpstreamUnavailable(
                "Passport reading needs tesseract-ocr on the gateway's machine (make deps)."
            )
        async with self._slots:
            return await asyncio.to_thread(_read, image)


def _read(image: bytes) -> str | None:
    import warnings

    from passporteye import read_mrz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-image's deprecations inside PassportEye
        try:
            found: Any = read_mrz(io.BytesIO(image))
        except Exception as exc:  # an image it cannot decode reads as no MRZ
            log.info("passport image not read: %s", type(exc).__name__)
            return None
    if found is None:
        return None
    text = found.to_dict().get("raw_text")
    return str(text) if text else None
