"""Request limits at the door: body size (413) and media type (415).

Checked before authentication and routing, so an oversized or non-JSON body is
refused without being parsed. The size is checked twice: on `Content-Length`
when the client declares it, and on the bytes actually received (a chunked
body, or a client that understates its length).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onewindow.gateway.api.problems import make_problem
from onewindow.gateway.entrypoints.errors import problem_response

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
    and replayed to the application.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await self._refuse(scope, receive, send, 400, "Content-Length is not a number.")
                return
            if length > self.max_body_bytes:
                await self._too_large(scope, receive, send)
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
                await self._too_large(scope, receive, send)
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

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._refuse(
            scope,
            receive,
            send,
            413,
            f"The body exceeds {self.max_body_bytes} bytes.",
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
