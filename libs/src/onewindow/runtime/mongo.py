"""Database access through PyMongo's asynchronous API."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

DUPLICATE_KEY = 11000


def make_client(url: str) -> AsyncMongoClient[dict[str, Any]]:
    """An `AsyncMongoClient` that fails fast when the server is away, and fails a call the
    server stops answering after 30 s instead of waiting forever (the caller retries)."""
    return AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        socketTimeoutMS=30_000,
        tz_aware=True,
    )


async def server_version(client: AsyncMongoClient[dict[str, Any]]) -> str:
    """The server's own version string, plus FerretDB's when it is FerretDB."""
    info = await client.admin.command("buildInfo")
    version = str(info.get("version", "?"))
    ferret = info.get("ferretdb")
    if isinstance(ferret, dict) and "version" in ferret:
        return f"FerretDB {ferret['version']} (MongoDB wire {version})"
    return f"MongoDB {version}"
