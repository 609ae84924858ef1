"""A `multipart/form-data` body read as it streams in, as events of its parts.

Nothing is buffered beyond one received chunk: python-multipart's push parser turns
each chunk into `PartStarted` / `PartData` / `PartEnded` events, handed on before the
next chunk is read. The body is counted too (`limit`), so a client that sends endless
non-file data is stopped as well.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from onewindow.gateway.application.uploads import FormEvent, PartData, PartEnded, PartStarted
from onewindow.runtime.problems import ProblemError

FORM_MEDIA_TYPE = "multipart/form-data"
# Headers a part may carry (Content-Disposition, Content-Type and a few more).
MAX_PART_HEADERS = 8


def is_form(content_type: str) -> bool:
    """Whether a Content-Type names `multipart/form-data`."""
    return content_type.split(";", 1)[0].strip().lower() == FORM_MEDIA_TYPE


def boundary_of(content_type: str) -> bytes:
    """The boundary of a `multipart/form-data` Content-Type; a 415 problem without one."""
    media, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if media != FORM_MEDIA_TYPE.encode() or not boundary:
        raise ProblemError(
            415,
            "unsupported-media-type",
            f"The body must be {FORM_MEDIA_TYPE} with a boundary (got {content_type or 'none'}).",
        )
    return boundary


class _Parts:
    """The parser's callbacks, collecting events for the chunk being parsed."""

    def __init__(self, boundary: bytes) -> None:
        self.events: list[FormEvent] = []
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
            max_header_count=MAX_PART_HEADERS,
        )

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", errors="replace")
        # The filename itself is the client's word and is not kept; that there is one
        # marks the part as a file.
        self.events.append(PartStarted(name=name, is_file=b"filename" in params))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(PartData(bytes(data[start:end])))

    def _part_end(self) -> None:
        self.events.append(PartEnded())

    def _end(self) -> None:
        self.ended = True


async def form_events(request: Request, limit: int) -> AsyncIterator[FormEvent]:
    """The parts of the request's form, as they arrive; 413 once the body passes `limit`
    bytes, 400 when it is not a well-formed form."""
    parts = _Parts(boundary_of(request.headers.get("content-type", "")))
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise ProblemError(413, "payload-too-large", f"The body exceeds {limit} bytes.")
        try:
            parts.parser.write(chunk)
        except MultipartParseError as exc:
            raise _malformed(str(exc)) from None
        events, parts.events = parts.events, []
        for event in events:
            yield event
    if not parts.ended:
        raise _malformed("the body ended before the form's closing boundary")


def _malformed(why: str) -> ProblemError:
    return ProblemError(
        400, "malformed-form", f"The body is not a well-formed {FORM_MEDIA_TYPE}: {why}."
    )
