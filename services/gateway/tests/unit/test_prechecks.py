"""`POST /v1/prechecks` (API.md v1.1) over fakes of identity's registry and of the permit
services' previews: what the gateway reads, resolves, asks and answers; nothing is stored.

That the permit services' answers equal their decisions is tested where they run
(`tests/e2e/test_prechecks.py` submits the same bodies).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from onewindow.contracts.v1.common import Classification, FactorPoints, Reason
from onewindow.contracts.v1.residence_permit import (
    AssessResidencePermit,
    ResidencePermitReserved,
    ResidencePermitReviewRequired,
)
from onewindow.contracts.v1.work_permit import (
    AssessWorkPermit,
    WorkPermitRefused,
    WorkPermitReserved,
)
from onewindow.gateway.adapters.permit_previews import AssessmentPreviews
from onewindow.gateway.application.prechecks import Prechecks
from onewindow.runtime.calendar import default_calendar
from onewindow.runtime.service_tokens import CredentialRefused

from .support import (
    NOW,
    USCC,
    UnitGateway,
    application,
    auth,
    service_credential,
    unit_gateway,
)

PASSPORT = ("NLD", "NX4K2P7R1")
CLASSIFIED = Classification(
    category="A",
    points=95,
    factors=(FactorPoints(factor="annual_salary", value="900000", points=20),),
    policy_version="fwp-test",
)


def certificate(cid: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": kind,
        "holder": {"nationality": PASSPORT[0], "passport_number": PASSPORT[1]},
        "issued_on": "2026-03-01",
        "valid_until": None,
        "issuer": "An issuer",
        "details": {},
        **fields,
    }


HELD = [
    certificate("deg-1", "degree", details={"level": "doctorate"}),
    certificate("hea-1", "health"),
    certificate("crc-1", "criminal_record", valid_until="2027-12-31"),
    certificate("tal-1", "talent_recognition", valid_until="2029-01-01"),
]


@dataclass
class Registry:
    """Identity's internal registry as the pre-check reads it."""

    held: list[dict[str, Any]] = field(default_factory=lambda: list(HELD))
    employer: bool = True
    watchlisted: bool = False
    paths: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/internal/registry/")
        self.paths.append(path)
        if path.startswith("employers/") and self.employer:
            body = {"uscc": USCC, "name": "Xuhui Research", "licence_valid_until": "2031-12-31"}
            return httpx.Response(200, json=body)
        if path == "certificates":
            return httpx.Response(200, json={"items": self.held})
        if path.startswith("watchlist/") and self.watchlisted:
            return httpx.Response(200, json={"note": "x"})
        return httpx.Response(404, json={"title": "Not Found", "status": 404})


@dataclass
class Permits:
    """The permit services' previews: each records its command and answers as told."""

    work: Callable[[AssessWorkPermit], Any] = lambda c: WorkPermitReserved(
        application_id=c.application_id,
        permit_number="UNALLOCATED",
        valid_until=date(2030, 1, 3),
        classification=CLASSIFIED,
        reserved_until=NOW,
    )
    residence: Callable[[AssessResidencePermit], Any] = lambda c: ResidencePermitReserved(
        application_id=c.application_id, permit_number="UNALLOCATED", reserved_until=NOW
    )
    asked: list[Any] = field(default_factory=list)
    down: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        service = "work-permit" if request.url.port == 8083 else "residence-permit"
        try:
            service_credential(request, service)
        except CredentialRefused as refused:
            return httpx.Response(401, json={"detail": refused.detail})
        body = json.loads(request.content)
        if request.url.port == 8083:
            command: Any = AssessWorkPermit.model_validate(body)
            event = self.work(command)
        else:
            command = AssessResidencePermit.model_validate(body)
            event = self.residence(command)
        self.asked.append(command)
        return httpx.Response(
            200, json={"type": event.TYPE, "event": event.model_dump(mode="json")}
        )


def precheck_gateway(
    registry: Registry | None = None, permits: Permits | None = None, **settings: Any
) -> tuple[UnitGateway, Registry, Permits]:
    registry, permits = registry or Registry(), permits or Permits()
    gateway = unit_gateway(**settings)
    transport = httpx.MockTransport(permits)
    gateway.app.state.prechecks = Prechecks(
        registry=gateway.app.state.identity_registry,
        previews=AssessmentPreviews(
            httpx.AsyncClient(base_url="http://127.0.0.1:8083", transport=transport),
            httpx.AsyncClient(base_url="http://127.0.0.1:8084", transport=transport),
            # The credentials the gateway's bootstrap made.
            gateway.app.state.prechecks.previews.credentials,
        ),
        uploads=gateway.app.state.uploads,
        clock=gateway.clock,
        calendar=default_calendar(),
    )
    gateway.identity.answer = registry
    return gateway, registry, permits


async def test_a_precheck_shows_the_category_points_documents_on_file_and_due_date() -> None:
    gateway, registry, permits = precheck_gateway()
    async with gateway.client() as client:
        answer = await client.post("/v1/prechecks", json=application(), headers=auth())

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["category"] == "A"
    assert body["points"]["total"] == 95
    assert body["points"]["factors"] == [
        {"factor": "annual_salary", "value": "900000", "points": 20}
    ]
    assert body["eligible"] is True
    assert body["outcome"] == "fast_track"
    assert body["reasons"] == []
    assert body["missing"] == []
    on_file = {d["registry_id"]: d for d in body["registry_documents"]}
    assert set(on_file) == {"deg-1", "hea-1", "crc-1", "tal-1"}
    assert on_file["deg-1"]["cited"]
    assert not on_file["tal-1"]["cited"]
    assert on_file["crc-1"]["valid_until"] == "2027-12-31"
    # Monday 1 June 2026 + 7 working days (Shanghai calendar).
    assert body["earliest_decision_on"] == "2026-06-10"
    assert body["work_permit"] == {"outcome": "reserved", "valid_until": "2030-01-03"}
    # Identity's resolution: the cited three, and the recognition on file uncited.
    work = next(c for c in permits.asked if isinstance(c, AssessWorkPermit))
    assert [d.registry_id for d in work.documents] == ["deg-1", "hea-1", "crc-1", "tal-1"]
    assert work.documents[0].details == {"level": "doctorate"}
    assert work.application_date == date(2026, 6, 1)
    assert work.employer.name == "Xuhui Research"
    assert registry.paths == ["employers/" + USCC, "certificates", "watchlist/NLD/NX4K2P7R1"]
    assert gateway.nothing_stored_or_sent()


async def test_the_reasons_of_a_refusal_and_what_is_missing_are_explained() -> None:
    refused = Reason(
        code="not_eligible_category",
        side="work",
        params={"category": "B", "points": "67", "eligible": "A"},
    )
    asked_health = Reason(code="document_missing", side="residence", params={"documents": "health"})
    permits = Permits(
        work=lambda c: WorkPermitRefused(
            application_id=c.application_id,
            reasons=(refused,),
            classification=CLASSIFIED.model_copy(update={"category": "B", "points": 67}),
        ),
        residence=lambda c: ResidencePermitReviewRequired(
            application_id=c.application_id, reasons=(asked_health,), missing_documents=("health",)
        ),
    )
    gateway, _, _ = precheck_gateway(permits=permits)
    body = application()
    body["documents"] = [{"kind": "degree", "registry_id": "deg-1"}]
    async with gateway.client() as client:
        answer = (await client.post("/v1/prechecks", json=body, headers=auth())).json()

    assert answer["category"] == "B"
    assert answer["eligible"] is False
    assert answer["outcome"] == "refused"
    assert [r["code"] for r in answer["reasons"]] == ["not_eligible_category"]
    assert "Category B" in answer["reasons"][0]["message_en"]
    assert answer["reasons"][0]["message_zh"]
    [missing] = answer["missing"]
    assert missing["kind"] == "health"
    assert missing["code"] == "document_missing"
    assert missing["on_file"] == "hea-1"  # cite it: nothing to upload
    assert missing["why"] == missing["message_en"]


async def test_identity_s_reasons_come_first_with_their_legal_basis() -> None:
    gateway, _, permits = precheck_gateway(Registry(employer=False, watchlisted=True))
    body = application()
    body["documents"].append({"kind": "degree", "registry_id": "somebody-elses"})
    body["documents"].append({"kind": "health", "registry_id": "tal-1"})
    async with gateway.client() as client:
        answer = (await client.post("/v1/prechecks", json=body, headers=auth())).json()

    codes = [(r["code"], r["side"]) for r in answer["reasons"]]
    assert codes == [
        ("document_not_found", "identity"),
        ("document_not_found", "identity"),
        ("employer_not_registered", "identity"),
    ]
    assert answer["reasons"][0]["legal_basis"] == {
        "policy": "one-window-2026.1-shanghai",
        "article": "§3.2",
    }
    assert answer["employer"] is None
    work = next(c for c in permits.asked if isinstance(c, AssessWorkPermit))
    assert work.flags == ("watchlist_match",)
    # A recognition cited as another kind is not resolved, so it counts as on file.
    assert "tal-1" in [d.registry_id for d in work.documents]
    assert work.employer.licence_valid_until == date(2026, 6, 1)  # stands in, judged by nobody


async def test_who_may_precheck_and_for_whom() -> None:
    gateway, _, _ = precheck_gateway()
    async with gateway.client() as client:
        as_clerk = await client.post("/v1/prechecks", json=application(), headers=auth("clerk"))
        as_officer = await client.post("/v1/prechecks", json=application(), headers=auth("officer"))
        other_company = await client.post(
            "/v1/prechecks",
            json=application(),
            headers=auth("employer", "hr", uscc="91310000MA1K000006"),
        )
        for_employee = await client.post(
            "/v1/prechecks",
            json=application(**{"applicant.account": "anna"}),
            headers=auth("employer", "hr", uscc=USCC),
        )
        anonymous = await client.post("/v1/prechecks", json=application())
        verified_elsewhere = await client.post(
            "/v1/prechecks", json=application(), headers=auth(passport="NLD:OTHER1234")
        )
    assert as_clerk.status_code == 200
    assert as_officer.status_code == 403
    assert other_company.status_code == 403
    assert for_employee.status_code == 200
    assert anonymous.status_code == 401
    assert verified_elsewhere.status_code == 403


async def test_the_door_s_rules_hold_and_an_unanswering_service_is_a_503() -> None:
    permits = Permits(down=True)
    gateway, _, _ = precheck_gateway(permits=permits)
    async with gateway.client() as client:
        bad = await client.post(
            "/v1/prechecks",
            json=application(**{"position.contract_end": "2026-01-01"}),
            headers=auth(),
        )
        down = await client.post("/v1/prechecks", json=application(), headers=auth())
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert down.status_code == 503
    assert down.json()["title"]


async def test_prechecks_over_the_accounts_rate_get_429_with_retry_after() -> None:
    gateway, _, _ = precheck_gateway(rate_prechecks_per_minute=2)
    async with gateway.client() as client:
        answers = [
            await client.post("/v1/prechecks", json=application(), headers=auth()) for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
