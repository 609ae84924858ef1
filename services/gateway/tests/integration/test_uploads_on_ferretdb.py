"""Uploads through the gateway into the real database (FerretDB 1.24 on PostgreSQL), with
GridFS: what GridFS needs of the server holds there, a file comes back byte for byte, the
10 MiB limit and the type are enforced, and nothing of a refused upload is left behind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.gateway.bootstrap import bootstrap
from onewindow.gateway.settings import GatewaySettings

from ..unit.support import PROBLEMS, application, wall_clock_token

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
CHUNK = 255 * 1024  # GridFS's default chunk size
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@dataclass
class Running:
    client: httpx.AsyncClient
    db: Any


@pytest.fixture(scope="module")
async def running(infrastructure: Infrastructure) -> AsyncIterator[Running]:
    settings = GatewaySettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=f"{infrastructure.namespace}_uploads",
    )
    app = bootstrap(settings)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infrastructure.mongodb_url, tz_aware=True
    )
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://gateway", timeout=120
            ) as client:
                deadline = time.monotonic() + 60
                while (await client.get("/readyz")).status_code != 200:
                    assert time.monotonic() < deadline, (await client.get("/readyz")).text
                    await asyncio.sleep(0.2)
                yield Running(client, mongo[settings.database_name])
    finally:
        await mongo.close()


def caller(sub: str, role: str = "applicant", **claims: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + wall_clock_token(role, sub, **claims)}


def scan(size: int, head: bytes = PNG_HEAD) -> bytes:
    return head + os.urandom(size - len(head))


async def upload(
    running: Running, sub: str, content: bytes, kind: str = "health"
) -> httpx.Response:
    return await running.client.post(
        "/v1/uploads",
        files={"file": ("scan.pdf", content, "application/pdf")},
        data={"kind": kind},
        headers=caller(sub),
    )


async def stored_counts(running: Running) -> tuple[int, int]:
    return (
        await running.db["uploads.files"].count_documents({}),
        await running.db["uploads.chunks"].count_documents({}),
    )


async def test_gridfs_needs_are_met_a_unique_index_on_the_chunks(running: Running) -> None:
    indexes = {i["name"]: i async for i in await running.db["uploads.chunks"].list_indexes()}
    assert dict(indexes["files_id_1_n_1"]["key"]) == {"files_id": 1, "n": 1}
    assert indexes["files_id_1_n_1"]["unique"] is True
    response = await upload(running, f"anna-{uuid.uuid4().hex[:6]}", scan(300 * 1024))
    assert response.status_code == 201, response.text
    upload_id = response.json()["upload_id"]
    # The server enforces it: a second chunk 0 of the same file is refused.
    with pytest.raises(DuplicateKeyError):
        await running.db["uploads.chunks"].insert_one({"files_id": upload_id, "n": 0, "data": b""})


async def test_a_scan_goes_in_and_comes_back_byte_for_byte(running: Running) -> None:
    sub = f"anna-{uuid.uuid4().hex[:6]}"
    content = scan(3 * MIB + 17)
    response = await upload(running, sub, content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert (body["size"], body["media_type"]) == (len(content), "image/png")

    document = await running.db["uploads.files"].find_one({"_id": body["upload_id"]})
    meta = document["metadata"]
    assert (meta["uploader"], meta["kind"], meta["sha256"], meta["size"]) == (
        sub,
        "health",
        body["sha256"],
        len(content),
    )
    assert meta["media_type"] == "image/png"
    assert meta["uploaded_at"].tzinfo is not None
    chunks = await running.db["uploads.chunks"].count_documents({"files_id": body["upload_id"]})
    assert chunks == -(-len(content) // CHUNK)

    for reader in (caller("olga", "officer"), caller(sub)):
        got = await running.client.get(f"/v1/uploads/{body['upload_id']}", headers=reader)
        assert got.status_code == 200
        assert got.headers["content-type"] == "image/png"
        assert got.content == content


async def test_ten_mebibytes_are_taken_and_one_byte_more_is_not(running: Running) -> None:
    sub = f"anna-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    exactly = await upload(running, sub, scan(10 * MIB))
    took = time.monotonic() - started
    assert exactly.status_code == 201, exactly.text
    assert exactly.json()["size"] == 10 * MIB
    print(f"10 MiB upload into FerretDB: {took:.2f} s")

    before = await stored_counts(running)
    over = await upload(running, sub, scan(10 * MIB + 1))
    assert over.status_code == 413
    assert over.json()["type"] == PROBLEMS + "payload-too-large"
    assert await stored_counts(running) == before


async def test_content_of_another_type_is_415_and_nothing_is_stored(running: Running) -> None:
    before = await stored_counts(running)
    response = await upload(running, "anna-x", b"MZ\x90\x00" + os.urandom(600 * 1024))
    assert response.status_code == 415
    assert response.json()["type"] == PROBLEMS + "unsupported-media-type"
    assert await stored_counts(running) == before


async def test_someone_elses_upload_is_refused_at_the_door(running: Running) -> None:
    bob = f"bob-{uuid.uuid4().hex[:6]}"
    bobs = (await upload(running, bob, scan(4096))).json()["upload_id"]
    anna = f"anna-{uuid.uuid4().hex[:6]}"
    body = application(**{"documents.1": {"kind": "health", "upload_id": bobs}})
    response = await running.client.post(
        "/v1/applications",
        json=body,
        headers={**caller(anna), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "documents", 1, "upload_id"]
    assert await running.db.case_owners.count_documents({"applicant_sub": anna}) == 0
    # Nor may she read it.
    got = await running.client.get(f"/v1/uploads/{bobs}", headers=caller(anna))
    assert got.status_code == 404
