"""Request limits at the door: body size (413) and media type (415).

Checked before authentication and routing, so an oversized or non-JSON body is
refused without being parsed. The size is checked twice: on `Content-Length`
when the client declares it, and on the bytes actually received (a chunked
body, or a client that understates its length).

Forms (`POST /v1/uploads`) are the exception: a `multipart/form-data` body up to
its own limit, streamed to the route unbuffered (the route counts what it reads).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onewindow.gateway.entrypoints.forms import is_form
from onewindow.runtime.problems import make_problem, problem_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (`application/json` or any `+json`)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class RequestLimits:
    """ASGI middleware refusing bodies over `max_body_bytes` and bodies that are not JSON.

    A body-carrying method with an empty body (`POST …/withdrawal`) needs no
    Content-Type. The accepted body is buffered (it is at most `max_body_bytes`)
    and replayed to the application. `forms` maps the paths that take a form instead
    to their body limit.
    """

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, forms: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.forms = dict(forms or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        form_limit = self.forms.get(scope["path"]) if scope["method"] == "POST" else None
        limit = self.max_body_bytes if form_limit is None else form_limit
        declared = headers.get("content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await self._refuse(scope, receive, send, 400, "Content-Length is not a number.")
                return
            if length > limit:
                await self._too_large(scope, receive, send, limit)
                return
        if form_limit is not None:
            await self._form(scope, receive, send, headers.get("content-type", ""))
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._too_large(scope, receive, send, self.max_body_bytes)
                return
        if body and not is_json(headers.get("content-type", "")):
            media = headers.get("content-type") or "none"
            await self._refuse(
                scope,
                receive,
                send,
                415,
                f"The body must be application/json (got {media}).",
                name="unsupported-media-type",
            )
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _form(self, scope: Scope, receive: Receive, send: Send, content_type: str) -> None:
        """A form goes on unbuffered; anything else to a form's path is 415."""
        if is_form(content_type):
            await self.app(scope, receive, send)
            return
        await self._refuse(
            scope,
            receive,
            send,
            415,
            f"The body must be multipart/form-data (got {content_type or 'none'}).",
            name="unsupported-media-type",
        )

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await self._refuse(
            scope,
            receive,
            send,
            413,
            f"The body exceeds {limit} bytes.",
            name="payload-too-large",
        )

    @staticmethod
    async def _refuse(
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        detail: str,
        name: str | None = None,
    ) -> None:
        await problem_response(make_problem(status, name, detail))(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the buffered body over once, then the client's own events."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
