"""A use case's answer as an HTTP response (status, body, `Location`)."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from onewindow.gateway.application.gateway import Answer

# Tells a client its retry was answered from the first request's record.
REPLAYED_HEADER = "Idempotent-Replayed"


def respond(answer: Answer) -> JSONResponse:
    """The response of a write: 202, its body, `Location`; marked when replayed."""
    headers: dict[str, str] = {}
    if answer.response.location:
        headers["Location"] = answer.response.location
    if answer.replayed:
        headers[REPLAYED_HEADER] = "true"
    return JSONResponse(answer.response.body, status_code=answer.response.status, headers=headers)
