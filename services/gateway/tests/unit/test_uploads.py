"""Uploads (API.md v1.1): judged by content, at most 10 MiB, nothing kept of a refused one;
downloaded by officers and the uploader; cited only by the uploader's cases, of their kind."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from onewindow.contracts.v1.applications import SubmitApplication, SupplyDocuments
from onewindow.contracts.v1.common import DocumentRef
from onewindow.gateway.domain.ownership import CaseOwner
from onewindow.gateway.domain.uploads import (
    MAX_UPLOAD_BYTES,
    SNIFF_BYTES,
    Intake,
    Upload,
    UploadIncomplete,
    UploadNotAccepted,
    UploadTooLarge,
    citation_violations,
    citing_accounts,
    sniff,
)

from .support import NOW, PROBLEMS, USCC, UnitGateway, application, auth, unit_gateway

MIB = 1024 * 1024
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
KEY = "0d9c7a51-6e2b-4b8e-9f3a-2c1d0e4f5a6b"
CASE = "3f0c2d1e-1111-4a4a-8b8b-00000000000a"


# --- sniffing and limits ---------------------------------------------------------------

SNIFFED = [
    ("pdf", PDF, "application/pdf"),
    ("jpeg", JPEG, "image/jpeg"),
    ("png", PNG, "image/png"),
    ("gif_is_not_accepted", GIF, None),
    ("text_is_not_accepted", b"hello, this is not a scan", None),
    ("html_is_not_accepted", b"<!DOCTYPE html><script>alert(1)</script>", None),
    ("a_png_signature_cut_short", b"\x89PNG\r\n", None),
    ("pdf_magic_not_at_the_start", b" %PDF-1.7", None),
    ("empty", b"", None),
]


@pytest.mark.parametrize(("case", "head", "media"), SNIFFED, ids=[s[0] for s in SNIFFED])
def test_the_type_is_told_by_the_first_bytes(case: str, head: bytes, media: str | None) -> None:
    assert sniff(head) == media, case


def test_a_file_of_exactly_the_limit_is_taken_and_one_byte_more_is_not() -> None:
    intake = Intake(limit=1000)
    stored = intake.take(PDF) + intake.take(b"\x00" * (1000 - len(PDF)))
    held, received = intake.finish()
    assert (stored + held, received.size) == (PDF + b"\x00" * (1000 - len(PDF)), 1000)

    over = Intake(limit=1000)
    over.take(PDF)
    with pytest.raises(UploadTooLarge):
        over.take(b"\x00" * (1001 - len(PDF)))


def test_the_default_limit_is_ten_mebibytes() -> None:
    assert MAX_UPLOAD_BYTES == 10 * MIB


def test_nothing_is_handed_on_before_the_type_is_known() -> None:
    intake = Intake()
    handed = [intake.take(PDF[i : i + 1]) for i in range(SNIFF_BYTES - 1)]
    assert handed == [b""] * (SNIFF_BYTES - 1)
    assert intake.take(PDF[SNIFF_BYTES - 1 : SNIFF_BYTES]) == PDF[:SNIFF_BYTES]
    assert intake.take(PDF[SNIFF_BYTES:]) == PDF[SNIFF_BYTES:]
    held, received = intake.finish()
    assert held == b""
    assert received.sha256 == hashlib.sha256(PDF).hexdigest()
    assert received.media_type == "application/pdf"


def test_another_type_is_refused_as_soon_as_its_head_is_read() -> None:
    intake = Intake()
    with pytest.raises(UploadNotAccepted):
        intake.take(GIF)


@pytest.mark.parametrize(
    ("content", "error"), [(b"", UploadIncomplete), (b"GIF", UploadNotAccepted)]
)
def test_an_empty_or_short_foreign_file_is_refused_at_its_end(
    content: bytes, error: type[Exception]
) -> None:
    intake = Intake()
    intake.take(content)
    with pytest.raises(error):
        intake.finish()


def test_a_tiny_file_with_a_known_head_is_taken_at_its_end() -> None:
    intake = Intake()
    assert intake.take(b"%PDF-") == b""
    held, received = intake.finish()
    assert (held, received.media_type, received.size) == (b"%PDF-", "application/pdf", 5)


# --- citations ---------------------------------------------------------------------------


def upload(upload_id: str = "up-1", uploader: str = "anna", kind: Any = "health") -> Upload:
    return Upload(
        upload_id=upload_id,
        uploader=uploader,
        uploader_role="applicant",
        kind=kind,
        sha256="ab" * 32,
        size=len(PDF),
        media_type="application/pdf",
        uploaded_at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC),
    )


CITATIONS = [
    ("ones_own_upload_of_the_kind", "health", {"up-1": upload()}, None),
    ("no_such_upload", "health", {}, "no upload up-1 of yours"),
    ("someone_elses_reads_like_none", "health", {"up-1": upload(uploader="bob")}, "of yours"),
    ("another_kind", "degree", {"up-1": upload()}, "is a health, not a degree"),
]


@pytest.mark.parametrize(
    ("case", "kind", "found", "message"), CITATIONS, ids=[c[0] for c in CITATIONS]
)
def test_a_citation_names_an_upload_of_ones_own_of_the_kind_cited(
    case: str, kind: Any, found: dict[str, Upload], message: str | None
) -> None:
    refs = [
        DocumentRef(kind="degree", registry_id="deg-1"),
        DocumentRef(kind=kind, upload_id="up-1"),
    ]
    violations = citation_violations(refs, found, {"anna"})
    if message is None:
        assert violations == [], case
    else:
        [violation] = violations
        assert violation.loc == ("body", "documents", 1, "upload_id")
        assert message in violation.msg, case


def test_an_employer_naming_the_employee_cites_its_own_and_the_employees_uploads() -> None:
    from onewindow.contracts.v1.applications import Actor

    hr = Actor(sub="hr", role="employer", uscc=USCC, on_behalf_of="anna")
    assert citing_accounts(hr) == {"hr", "anna"}
    assert citing_accounts(Actor(sub="anna", role="applicant"), "anna") == {"anna"}


# --- the routes ----------------------------------------------------------------------------


def form(
    content: bytes = PDF,
    kind: str | None = "health",
    *,
    filename: str = "scan.pdf",
    declared: str = "application/pdf",
) -> dict[str, Any]:
    data = {"kind": kind} if kind is not None else {}
    return {"files": {"file": (filename, content, declared)}, "data": data}


async def post_upload(
    gateway: UnitGateway, sent: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    async with gateway.client() as client:
        return await client.post("/v1/uploads", headers=headers or auth(), **sent)


@pytest.mark.parametrize(
    ("content", "media"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")],
    ids=["pdf", "jpeg", "png"],
)
async def test_an_upload_is_stored_with_its_facts(content: bytes, media: str) -> None:
    gateway = unit_gateway()
    response = await post_upload(gateway, form(content))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert (body["size"], body["media_type"], body["kind"]) == (len(content), media, "health")
    assert response.headers["location"] == f"/v1/uploads/{body['upload_id']}"
    stored = gateway.uploads.stored[body["upload_id"]]
    assert (stored.uploader, stored.kind, stored.uploaded_at) == ("anna", "health", NOW)
    assert b"".join(gateway.uploads.written[body["upload_id"]]) == content


async def test_the_name_and_declared_type_are_not_believed() -> None:
    gateway = unit_gateway()
    response = await post_upload(
        gateway, form(PNG, filename="scan.pdf", declared="application/pdf")
    )
    assert response.json()["media_type"] == "image/png"
    refused = await post_upload(gateway, form(GIF, filename="scan.pdf", declared="application/pdf"))
    assert refused.status_code == 415
    assert refused.json()["type"] == PROBLEMS + "unsupported-media-type"
    assert "PDF, JPEG or PNG" in refused.json()["detail"]


REFUSED = [
    ("not_a_scan", form(b"#!/bin/sh\nrm -rf /\n"), 415, "unsupported-media-type", None),
    ("empty_file", form(b""), 422, "validation-error", ["body", "file"]),
    ("no_kind", form(kind=None), 422, "validation-error", ["body", "kind"]),
    ("unknown_kind", form(kind="passport_photo"), 422, "validation-error", ["body", "kind"]),
    ("no_file", {"files": {"kind": (None, b"health")}}, 422, "validation-error", ["body", "file"]),
    (
        "a_file_that_is_not_a_file_part",
        {"files": {"file": (None, PDF), "kind": (None, b"health")}},
        422,
        "validation-error",
        ["body", "file"],
    ),
    (
        "an_extra_field",
        {"files": {"file": ("a.pdf", PDF)}, "data": {"kind": "health", "note": "x"}},
        422,
        "validation-error",
        ["body", "note"],
    ),
    (
        "two_files",
        {"files": [("file", ("a.pdf", PDF)), ("file", ("b.pdf", PDF))], "data": {"kind": "health"}},
        422,
        "validation-error",
        ["body", "file"],
    ),
    ("json_instead_of_a_form", {"json": {"kind": "health"}}, 415, "unsupported-media-type", None),
]


@pytest.mark.parametrize(
    ("case", "sent", "status", "name", "loc"), REFUSED, ids=[r[0] for r in REFUSED]
)
async def test_a_refused_upload_is_a_problem_and_nothing_is_kept(
    case: str, sent: dict[str, Any], status: int, name: str, loc: list[str] | None
) -> None:
    gateway = unit_gateway()
    response = await post_upload(gateway, sent)
    assert response.status_code == status, (case, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEMS + name
    if loc is not None:
        assert loc in [e["loc"] for e in problem["errors"]]
    assert gateway.uploads.stored == {}
    assert gateway.uploads.written == {}


async def test_a_file_over_ten_mebibytes_is_413_and_nothing_is_kept() -> None:
    gateway = unit_gateway()
    exactly = await post_upload(gateway, form(PDF + b"\x00" * (10 * MIB - len(PDF))))
    assert exactly.status_code == 201, exactly.text
    assert exactly.json()["size"] == 10 * MIB

    gateway = unit_gateway()
    response = await post_upload(gateway, form(PDF + b"\x00" * (10 * MIB + 1 - len(PDF))))
    assert response.status_code == 413
    assert response.json()["type"] == PROBLEMS + "payload-too-large"
    assert gateway.uploads.stored == {}
    assert gateway.uploads.written == {}


async def test_a_body_declared_too_large_is_refused_before_it_is_read() -> None:
    gateway = unit_gateway()
    headers = {**auth(), "Content-Type": "multipart/form-data; boundary=x"}
    headers["Content-Length"] = str(11 * MIB)
    async with gateway.client() as client:
        response = await client.post("/v1/uploads", content=b"--x--\r\n", headers=headers)
    assert response.status_code == 413
    assert gateway.uploads.written == {}


async def test_a_truncated_form_is_400_and_nothing_is_kept() -> None:
    gateway = unit_gateway()
    body = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n' + PDF
    headers = {**auth(), "Content-Type": "multipart/form-data; boundary=x"}
    async with gateway.client() as client:
        response = await client.post("/v1/uploads", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEMS + "malformed-form"
    assert gateway.uploads.written == {}


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), (auth("officer", "olga"), 403), (auth("clerk", "c"), 403)],
    ids=["no_token", "officer", "clerk"],
)
async def test_only_applicants_and_employers_upload(headers: dict[str, str], status: int) -> None:
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post("/v1/uploads", headers=headers, **form())
    assert response.status_code == status


DOWNLOADERS = [
    ("the_uploader", auth("applicant", "anna"), 200),
    ("an_officer", auth("officer", "olga"), 200),
    ("an_operator", auth("operator", "op"), 200),
    ("another_applicant", auth("applicant", "bob"), 404),
    ("an_employer", auth("employer", "hr", uscc=USCC), 404),
    ("a_clerk", auth("clerk", "c"), 403),
]


@pytest.mark.parametrize(("who", "headers", "status"), DOWNLOADERS, ids=[d[0] for d in DOWNLOADERS])
async def test_an_upload_is_downloaded_by_officers_and_its_uploader(
    who: str, headers: dict[str, str], status: int
) -> None:
    gateway = unit_gateway()
    gateway.uploads.add(upload(), PDF)
    async with gateway.client() as client:
        response = await client.get("/v1/uploads/up-1", headers=headers)
    assert response.status_code == status, who
    if status == 200:
        assert response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == ('attachment; filename="health-up-1.pdf"')
        assert response.headers["cache-control"] == "no-store"
    elif status == 404:
        assert response.json()["type"] == PROBLEMS + "not-found"


async def test_a_citation_carries_what_was_recorded_of_the_upload() -> None:
    gateway = unit_gateway()
    mine = gateway.uploads.add(upload())
    body = application(**{"documents.1": {"kind": "health", "upload_id": "up-1"}})
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", json=body, headers={**auth(), "Idempotency-Key": KEY}
        )
    assert response.status_code == 202, response.text
    (sent,) = gateway.bus.sent
    assert isinstance(sent.command, SubmitApplication)
    cited = sent.command.form.documents[1]
    assert (cited.upload_id, cited.sha256, cited.media_type, cited.uploaded_at) == (
        "up-1",
        mine.sha256,
        "application/pdf",
        mine.uploaded_at,
    )


SUBMISSIONS = [
    ("someone_elses", upload(uploader="bob"), "health", auth(), "of yours"),
    ("of_another_kind", upload(kind="degree"), "health", auth(), "not a health"),
    ("a_forged_id", None, "health", auth(), "no upload up-1"),
    (
        "a_third_accounts_for_an_employer",
        upload(uploader="carl"),
        "health",
        auth("employer", "hr", uscc=USCC),
        "of yours",
    ),
]


@pytest.mark.parametrize(
    ("case", "stored", "kind", "headers", "message"), SUBMISSIONS, ids=[s[0] for s in SUBMISSIONS]
)
async def test_an_application_citing_an_upload_not_its_own_is_422_and_nothing_is_sent(
    case: str, stored: Upload | None, kind: str, headers: dict[str, str], message: str
) -> None:
    gateway = unit_gateway()
    if stored is not None:
        gateway.uploads.add(stored)
    body = application(**{"documents.1": {"kind": kind, "upload_id": "up-1"}})
    if headers != auth():
        body["applicant"]["account"] = "anna"
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", json=body, headers={**headers, "Idempotency-Key": KEY}
        )
    assert response.status_code == 422, case
    problem = response.json()
    assert problem["type"] == PROBLEMS + "validation-error"
    [error] = problem["errors"]
    assert error["loc"] == ["body", "documents", 1, "upload_id"]
    assert message in error["msg"]
    assert gateway.nothing_stored_or_sent()


@pytest.mark.parametrize("uploader", ["hr", "anna"], ids=["the_employers", "the_employees"])
async def test_an_employer_naming_the_employee_may_cite_its_own_or_the_employees_upload(
    uploader: str,
) -> None:
    gateway = unit_gateway()
    gateway.uploads.add(upload(uploader=uploader))
    body = application(**{"documents.1": {"kind": "health", "upload_id": "up-1"}})
    body["applicant"]["account"] = "anna"
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications",
            json=body,
            headers={**auth("employer", "hr", uscc=USCC), "Idempotency-Key": KEY},
        )
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("uploader", "headers", "status"),
    [
        ("anna", auth("applicant", "anna"), 202),
        ("hr", auth("employer", "hr", uscc=USCC), 202),
        ("anna", auth("employer", "hr", uscc=USCC), 202),
        ("bob", auth("applicant", "anna"), 422),
    ],
    ids=["the_applicants_own", "the_employers_own", "the_cases_applicants", "someone_elses"],
)
async def test_documents_supplied_cite_the_cases_own_uploads_only(
    uploader: str, headers: dict[str, str], status: int
) -> None:
    gateway = unit_gateway()
    gateway.owners.owned[CASE] = CaseOwner(CASE, employer_uscc=USCC, applicant_sub="anna")
    gateway.uploads.add(upload(uploader=uploader))
    async with gateway.client() as client:
        response = await client.post(
            f"/v1/applications/{CASE}/documents",
            json={"documents": [{"kind": "health", "upload_id": "up-1"}]},
            headers=headers,
        )
    assert response.status_code == status, response.text
    if status == 202:
        (sent,) = gateway.bus.sent
        assert isinstance(sent.command, SupplyDocuments)
        assert sent.command.documents[0].sha256 == "ab" * 32
    else:
        assert response.json()["errors"][0]["loc"] == ["body", "documents", 0, "upload_id"]
        assert gateway.bus.sent == []


async def test_the_upload_routes_are_documented_with_the_form() -> None:
    async with unit_gateway().client() as client:
        schema = (await client.get("/openapi.json")).json()
    post = schema["paths"]["/v1/uploads"]["post"]
    assert "uploads" in post["tags"]
    form_schema = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(form_schema["required"]) == {"file", "kind"}
    for status in ("413", "415", "422"):
        assert "application/problem+json" in post["responses"][status]["content"]
    assert "get" in schema["paths"]["/v1/uploads/{upload_id}"]


def test_the_case_view_names_the_upload_to_check_and_where_to_download_it() -> None:
    from onewindow.contracts.v1.common import LegalBasis, Reason
    from onewindow.gateway.readmodel.projection import reason_view

    review = Reason(
        code="document_unverified",
        side="residence",
        params={"kind": "health", "upload_id": "up-1", "sha256": "ab" * 32, "check": "recent"},
        legal_basis=LegalBasis(policy="rp-2013.1-shanghai", article="§30.9"),
    )
    assert reason_view(review)["uploads"] == [
        {"upload_id": "up-1", "kind": "health", "href": "/v1/uploads/up-1", "check": "recent"}
    ]
    refusal = review.model_copy(update={"params": {"kind": "degree", "upload_id": "u-1,u-2"}})
    assert [u["href"] for u in reason_view(refusal)["uploads"]] == [
        "/v1/uploads/u-1",
        "/v1/uploads/u-2",
    ]
    assert "uploads" not in reason_view(Reason(code="watchlist_match"))
