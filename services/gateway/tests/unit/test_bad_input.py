"""Validation at the door: each malformed request gets its status and problem type,
and none of them is stored or published (DOMAIN.md "Validation at the door")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from .support import (
    DELETE,
    OTHER_USCC,
    PROBLEMS,
    USCC,
    application,
    auth,
    make_token,
    unit_gateway,
)

KEY = "5d2c1a47-3f7e-4b0b-9a3e-1c2d3e4f5a6b"


def wrong_check_digit(body: dict[str, Any]) -> None:
    line2 = body["applicant"]["passport"]["mrz"][1]
    digit = line2[9]  # the passport number's check digit
    body["applicant"]["passport"]["mrz"][1] = line2[:9] + str((int(digit) + 1) % 10) + line2[10:]


@dataclass
class Bad:
    """A malformed request: what to change, and what the caller must be told."""

    rule: str
    status: int
    problem: str
    changes: dict[str, Any] = field(default_factory=dict)
    mutate: Any = None
    loc: tuple[str | int, ...] | None = None
    headers: dict[str, str] | None = None
    raw: bytes | None = None
    # Who calls, as `make_token` arguments (the token is made with the test's clock).
    token: dict[str, Any] | None = None

    def token_claims(self) -> dict[str, Any]:
        return self.token or {"role": "applicant", "sub": "anna"}


TABLE = [
    Bad("mrz_check_digit_wrong", 422, "validation-error", mutate=wrong_check_digit,
        loc=("body", "applicant", "passport", "mrz")),
    Bad("mrz_disagrees_with_typed_surname", 422, "validation-error",
        {"applicant.surname": "DE VRIES"}, loc=("body", "applicant", "passport", "mrz")),
    Bad("mrz_line_too_short", 422, "validation-error",
        {"applicant.passport.mrz": ["P<NLD", "NX4K2P7R1"]},
        loc=("body", "applicant", "passport", "mrz")),
    Bad("uscc_check_character_wrong", 422, "validation-error",
        {"employer.uscc": USCC[:-1] + "A"}, loc=("body", "employer", "uscc")),
    Bad("uscc_too_short", 422, "validation-error",
        {"employer.uscc": "9131010"}, loc=("body", "employer", "uscc")),
    Bad("nationality_unknown_country", 422, "validation-error",
        {"applicant.nationality": "XYZ"}, loc=("body", "applicant", "nationality")),
    Bad("passport_number_too_short", 422, "validation-error",
        {"applicant.passport.number": "AB1"}, loc=("body", "applicant", "passport", "number")),
    Bad("passport_number_not_alphanumeric", 422, "validation-error",
        {"applicant.passport.number": "NX-4K2P7"},
        loc=("body", "applicant", "passport", "number")),
    Bad("contract_dates_reversed", 422, "validation-error",
        {"position.contract_start": "2030-01-03", "position.contract_end": "2027-01-04"},
        loc=("body", "position", "contract_end")),
    Bad("birth_date_in_the_future", 422, "validation-error",
        {"applicant.date_of_birth": "2030-01-01", "applicant.passport.mrz": DELETE},
        loc=("body", "applicant", "date_of_birth")),
    Bad("passport_expired", 422, "validation-error",
        {"applicant.passport.expires_on": "2026-05-31", "applicant.passport.mrz": DELETE},
        loc=("body", "applicant", "passport", "expires_on")),
    Bad("date_not_a_real_day", 422, "validation-error",
        {"position.contract_start": "2027-02-30"}, loc=("body", "position", "contract_start")),
    Bad("date_as_a_number", 422, "validation-error",
        {"position.contract_start": 1798761600}, loc=("body", "position", "contract_start")),
    Bad("months_over_twelve", 422, "validation-error",
        {"position.months_in_china_per_year": 13},
        loc=("body", "position", "months_in_china_per_year")),
    Bad("hsk_over_six", 422, "validation-error",
        {"qualifications.hsk_level": 7}, loc=("body", "qualifications", "hsk_level")),
    Bad("negative_experience", 422, "validation-error",
        {"qualifications.experience_years": -1},
        loc=("body", "qualifications", "experience_years")),
    Bad("salary_negative", 422, "validation-error",
        {"position.annual_salary_cny": -5}, loc=("body", "position", "annual_salary_cny")),
    Bad("salary_as_text", 422, "validation-error",
        {"position.annual_salary_cny": "900000"}, loc=("body", "position", "annual_salary_cny")),
    Bad("title_too_long", 422, "validation-error",
        {"position.title": "x" * 201}, loc=("body", "position", "title")),
    Bad("address_too_long", 422, "validation-error",
        {"residence.address": "x" * 301}, loc=("body", "residence", "address")),
    Bad("email_malformed", 422, "validation-error",
        {"applicant.email": "anna-at-example.org"}, loc=("body", "applicant", "email")),
    Bad("unknown_member", 422, "validation-error",
        {"applicant.passport.mrzz": []}, loc=("body", "applicant", "passport", "mrzz")),
    Bad("document_with_two_sources", 422, "validation-error",
        {"documents.0.upload_id": "up-1"}, loc=("body", "documents", 0)),
    Bad("unknown_document_kind", 422, "validation-error",
        {"documents.0.kind": "passport_photo"}, loc=("body", "documents", 0, "kind")),
    Bad("missing_section", 422, "validation-error",
        {"residence": DELETE}, loc=("body", "residence")),
    Bad("huge_body", 413, "payload-too-large", raw=b'{"x": "' + b"a" * (1024 * 1024) + b'"}'),
    Bad("not_json_content_type", 415, "unsupported-media-type",
        headers={"Content-Type": "text/plain"}),
    Bad("missing_idempotency_key", 400, "idempotency-key-missing",
        headers={"Idempotency-Key": ""}),
    Bad("idempotency_key_not_a_uuid", 400, "idempotency-key-invalid",
        headers={"Idempotency-Key": "retry-1"}),
    Bad("bad_token", 401, "unauthorized",
        token={"role": "applicant", "sub": "anna", "secret": "not-the-gateways-key-" * 2}),
    Bad("wrong_role", 403, "forbidden", token={"role": "officer", "sub": "olga"}),
    Bad("employer_for_another_company", 403, "forbidden",
        token={"role": "employer", "sub": "hr", "uscc": OTHER_USCC}),
]  # fmt: skip


@pytest.mark.parametrize("bad", TABLE, ids=[b.rule for b in TABLE])
async def test_a_malformed_application_is_refused_and_nothing_is_kept(bad: Bad) -> None:
    gateway = unit_gateway()
    body = application(**bad.changes)
    if bad.mutate:
        bad.mutate(body)
    content = bad.raw if bad.raw is not None else json.dumps(body).encode()
    headers = {
        "Authorization": "Bearer " + make_token(**bad.token_claims()),
        "Idempotency-Key": KEY,
        "Content-Type": "application/json",
    }
    headers.update(bad.headers or {})
    headers = {k: v for k, v in headers.items() if v}
    async with gateway.client() as client:
        response = await client.post("/v1/applications", content=content, headers=headers)
    assert response.status_code == bad.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEMS + bad.problem
    assert problem["status"] == bad.status
    if bad.loc is not None:
        assert bad.loc in [tuple(e["loc"]) for e in problem["errors"]], problem
    assert gateway.nothing_stored_or_sent()


async def test_the_valid_application_of_the_table_is_accepted() -> None:
    # The table's requests differ from this one only by what each case breaks.
    gateway = unit_gateway()
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", json=application(), headers={**auth(), "Idempotency-Key": KEY}
        )
    assert response.status_code == 202
    assert len(gateway.bus.sent) == 1


async def test_every_broken_rule_is_reported_at_once() -> None:
    body = application(
        **{
            "applicant.passport.mrz": DELETE,
            "applicant.date_of_birth": "2030-01-01",
            "position.contract_start": "2031-01-01",
        }
    )
    async with unit_gateway().client() as client:
        response = await client.post(
            "/v1/applications", json=body, headers={**auth(), "Idempotency-Key": KEY}
        )
    locations = [tuple(e["loc"]) for e in response.json()["errors"]]
    assert ("body", "applicant", "date_of_birth") in locations
    assert ("body", "position", "contract_end") in locations
