"""Uploaded documents end to end (DOMAIN.md "Evidence", API.md v1.1 `POST /v1/uploads`):
a scan of a certificate that is not digitised is uploaded, cited, never treated as
missing, and verified by an officer before it counts. Through the gateway's HTTP API,
every service as its own OS process."""

from __future__ import annotations

import hashlib
import os

import pytest

from onewindow.cli.seeding import Gateway, Person
from onewindow.runtime.clock import SystemClock, local_today

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TODAY = local_today(SystemClock())
# A health certificate scanned to PDF: the gateway judges it by its first bytes.
SCAN = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(400 * 1024) + b"\n%%EOF\n"
FINAL = {"approved", "refused", "withdrawn"}


async def submitted_with_an_uploaded_health_certificate(gateway: Gateway, person: Person) -> str:
    """The person's registry holds a degree and a criminal record, not the health
    certificate: they upload its scan and cite it beside the registry's."""
    await gateway.register(person, kinds=("degree", "criminal_record"))
    upload = await gateway.upload(person, "health", SCAN)
    assert (upload["media_type"], upload["size"]) == ("application/pdf", len(SCAN))
    assert upload["sha256"] == hashlib.sha256(SCAN).hexdigest()
    body = gateway.application(person, today=TODAY)
    body["documents"].append({"kind": "health", "upload_id": upload["upload_id"]})
    response = await gateway.submit(person, body)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_an_upload_is_cited_checked_by_an_officer_and_the_case_approved(
    gateway: Gateway,
) -> None:
    ada = Person()
    application_id = await submitted_with_an_uploaded_health_certificate(gateway, ada)

    # Never treated as missing: no supplement request, an officer's review instead.
    case = await gateway.wait_for(ada, application_id, {"awaiting_officer", "awaiting_documents"})
    assert case["status"] == "awaiting_officer", case
    assert "documents_requested" not in case
    [reason] = case["residence_permit"]["reasons"]
    assert reason["code"] == "document_unverified"
    assert reason["legal_basis"] == {"policy": "rp-2013.1-shanghai", "article": "§30.9"}
    [to_check] = reason["uploads"]
    assert to_check["kind"] == "health"
    assert "issued on or after" in to_check["check"]

    # The officer finds the case among the reviews and downloads the scan.
    reviews = (await gateway.http.get("/v1/reviews", headers=gateway.officer)).json()
    assert application_id in [item["id"] for item in reviews["items"]]
    scan = await gateway.http.get(to_check["href"], headers=gateway.officer)
    assert scan.status_code == 200
    assert scan.headers["content-type"] == "application/pdf"
    assert scan.content == SCAN

    answer = await gateway.review(application_id, "residence", "approve")
    assert answer.status_code == 202, answer.text
    case = await gateway.wait_for(ada, application_id, FINAL)
    assert case["status"] == "approved", case
    assert case["residence_permit"]["status"] == "issued"
    assert case["work_permit"]["status"] == "issued"


async def test_an_upload_the_officer_rejects_refuses_the_case(gateway: Gateway) -> None:
    bea = Person()
    application_id = await submitted_with_an_uploaded_health_certificate(gateway, bea)
    await gateway.wait_for(bea, application_id, {"awaiting_officer"})

    answer = await gateway.review(
        application_id, "residence", "refuse", reason="The scan is not a health certificate."
    )
    assert answer.status_code == 202, answer.text
    case = await gateway.wait_for(bea, application_id, FINAL)
    assert case["status"] == "refused", case
    codes = {(r["code"], r["side"]) for r in case["decision"]["reasons"]}
    # An upload-only review refused: the reason names the unverified document.
    assert ("document_unverified", "residence") in codes, case


async def test_someone_elses_upload_cannot_be_cited_nor_read(gateway: Gateway) -> None:
    cai, dan = Person(), Person()
    await gateway.register(cai)
    upload = await gateway.upload(dan, "health", SCAN)
    body = gateway.application(cai, today=TODAY)
    body["documents"].append({"kind": "health", "upload_id": upload["upload_id"]})

    response = await gateway.submit(cai, body)

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"][-1] == "upload_id"
    read = await gateway.http.get(f"/v1/uploads/{upload['upload_id']}", headers=cai.headers)
    assert read.status_code == 404
