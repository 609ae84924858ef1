"""The web app at `/`, the development sign-in's tokens (development only), and the
officers' evidence view of a case."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from onewindow.gateway.entrypoints.web import web_folder

from .support import AUDIENCE, SECRET, USCC, application, auth, unit_gateway

WEB = web_folder("")


async def test_the_web_app_is_served_at_the_root_with_its_static_files(tmp_path: Path) -> None:
    site = tmp_path / "web"
    (site / "static").mkdir(parents=True)
    (site / "vendor" / "lit-html").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>One Window</title>")
    (site / "static" / "main.js").write_text("export {};")
    gateway = unit_gateway(web_dir=str(site))
    async with gateway.client() as client:
        not_built = await client.get("/")
        (site / "vendor" / "lit-html" / "lit-html.js").write_text("export {};")
        page = await client.get("/")
        module = await client.get("/web/static/main.js")
        missing = await client.get("/web/static/nothing.js")
    assert not_built.status_code == 503
    assert "make web" in not_built.text
    assert page.status_code == 200
    assert "One Window" in page.text
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    assert missing.status_code == 404


def test_the_repository_s_web_folder_is_found() -> None:
    assert WEB is not None
    assert (WEB / "static" / "main.js").is_file()


async def test_development_tokens_are_signed_only_in_development() -> None:
    development = unit_gateway(environment="development")
    production = unit_gateway(environment="production", jwt_issuer="https://id.example")
    async with development.client() as client:
        offered = await client.get("/dev/tokens")
        issued = await client.post(
            "/dev/tokens", json={"role": "employer", "sub": "hr-1", "uscc": USCC}
        )
        no_uscc = await client.post("/dev/tokens", json={"role": "employer", "sub": "hr-1"})
        bad_role = await client.post("/dev/tokens", json={"role": "root", "sub": "x"})
    async with production.client() as client:
        refused = [await client.get("/dev/tokens"), await client.post("/dev/tokens", json={})]
    assert offered.status_code == 200
    assert issued.status_code == 200
    claims = jwt.decode(issued.json()["token"], SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["role"] == "employer"
    assert claims["uscc"] == USCC
    actor = development.app.state.tokens.verify(issued.json()["token"])
    assert actor.sub == "hr-1"
    assert no_uscc.status_code == 422
    assert bad_role.status_code == 422
    assert [r.status_code for r in refused] == [404, 404]


def registry_answer(request: httpx.Request) -> httpx.Response:
    path = request.url.path.removeprefix("/internal/registry/")
    body: dict[str, Any]
    if path == "certificates":
        assert request.url.params["passport_number"] == "NX4K2P7R1"
        body = {"items": [{"id": "deg-1", "kind": "degree", "issued_on": "2010-07-01"}]}
        return httpx.Response(200, json=body)
    if path.startswith("employers/"):
        body = {"uscc": USCC, "name": "Xuhui", "licence_valid_until": "2031-12-31"}
        return httpx.Response(200, json=body)
    return httpx.Response(404, json={"status": 404})


@pytest.mark.parametrize(("role", "status"), [("officer", 200), ("applicant", 403)])
async def test_officers_see_the_registry_s_records_beside_what_a_case_cited(
    role: str, status: int
) -> None:
    gateway = unit_gateway()
    gateway.identity.answer = registry_answer
    async with gateway.client() as client:
        submitted = await client.post(
            "/v1/applications",
            json=application(),
            headers={**auth(), "Idempotency-Key": str(uuid.uuid4())},
        )
        application_id = submitted.json()["id"]
        answer = await client.get(
            f"/v1/applications/{application_id}/evidence", headers=auth(role, "someone")
        )
        unknown = await client.get("/v1/applications/nope/evidence", headers=auth("officer"))
    assert answer.status_code == status
    assert unknown.status_code == 404
    if status == 200:
        evidence = answer.json()
        assert evidence["holder"] == {"nationality": "NLD", "passport_number": "NX4K2P7R1"}
        assert [d["registry_id"] for d in evidence["cited"]] == ["deg-1", "hea-1", "crc-1"]
        assert [c["id"] for c in evidence["certificates"]] == ["deg-1"]
        assert evidence["employer"]["name"] == "Xuhui"
        assert evidence["watchlist"] is None
