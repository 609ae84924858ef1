"""Operators' tools in the gateway: the web console at `/ops` and the bus's AsyncAPI
document at `/asyncapi.json` and `/asyncapi`."""

from __future__ import annotations

from fastapi import FastAPI

from onewindow.gateway.ops.asyncapi_page import router as asyncapi_routes
from onewindow.gateway.ops.console import router as console_routes
from onewindow.runtime.settings import ServiceSettings


def install_ops(app: FastAPI, settings: ServiceSettings) -> None:
    """Add the console's and the AsyncAPI document's routes to the gateway's app.

    The console reads the read model through `app.state.readmodel_db` and the bus with
    the connection settings given here.
    """
    app.state.ops_settings = settings
    app.include_router(console_routes)
    app.include_router(asyncapi_routes)
