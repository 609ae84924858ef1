"""Verification of a case: every rule, each case named after the rule it checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from onewindow.contracts.v1.common import DocumentRef, Employer, ResolvedDocument
from onewindow.identity.domain.open_case import OpenCase
from onewindow.identity.domain.person import PassportHolder
from onewindow.identity.domain.policy import ARTICLES, POLICY, legal_basis
from onewindow.identity.domain.registry import CertificateRecord, EmployerRecord, Holder
from onewindow.identity.domain.verification import (
    ISSUER_NOT_RECORDED,
    CaseToVerify,
    RegistryFacts,
    Rejected,
    Verified,
    registry_ids,
    verify,
)

ANNA = Holder(nationality="NLD", passport_number="NX4K2P7R1")
OTHER = Holder(nationality="BEL", passport_number="EF1234567")
USCC = "91310104MA1FL5KX1N"
APPLIED_ON = date(2027, 1, 4)
EMPLOYER = EmployerRecord(uscc=USCC, name="Xuhui Labs", licence_valid_until=date(2031, 1, 1))


def cert(certificate_id: str, kind: str, **changes: Any) -> CertificateRecord:
    fields: dict[str, Any] = {
        "certificate_id": certificate_id,
        "kind": kind,
        "holder": ANNA,
        "issued_on": date(2026, 11, 1),
        "valid_until": date(2027, 5, 1),
        "issuer": f"issuer of {certificate_id}",
        "details": {},
    }
    return CertificateRecord.model_validate(fields | changes)


REGISTRY = {
    "DEG-1": cert("DEG-1", "degree", valid_until=None, details={"level": "doctorate"}),
    "CRIM-1": cert("CRIM-1", "criminal_record"),
    "HEALTH-1": cert("HEALTH-1", "health"),
    "HEALTH-OLD": cert("HEALTH-OLD", "health", valid_until=date(2027, 1, 3)),
    "HEALTH-LASTDAY": cert("HEALTH-LASTDAY", "health", valid_until=APPLIED_ON),
    "HEALTH-BOB": cert("HEALTH-BOB", "health", holder=OTHER),
    "TALENT-1": cert("TALENT-1", "talent_recognition", issuer=None, valid_until=None),
}

COMPLETE = CaseToVerify(
    application_id="A-1",
    holder=PassportHolder("NLD", "NX4K2P7R1"),
    passport_expires_on=date(2033, 10, 31),
    employer_uscc=USCC,
    documents=(
        DocumentRef(kind="degree", registry_id="DEG-1"),
        DocumentRef(kind="criminal_record", registry_id="CRIM-1"),
        DocumentRef(kind="health", registry_id="HEALTH-1"),
    ),
    application_date=APPLIED_ON,
)


def facts(
    *,
    employer: EmployerRecord | None = EMPLOYER,
    watchlisted: bool = False,
    open_by: str | None = None,
    held: tuple[CertificateRecord, ...] = (),
) -> RegistryFacts:
    return RegistryFacts(
        employer=employer,
        certificates=REGISTRY,
        watchlisted=watchlisted,
        open_case=OpenCase(open_by),
        held=held,
    )


def test_complete_case_is_verified_with_resolved_documents() -> None:
    result = verify(COMPLETE, facts())
    assert result == Verified(
        employer=Employer(uscc=USCC, name="Xuhui Labs", licence_valid_until=date(2031, 1, 1)),
        documents=(
            ResolvedDocument(
                kind="degree",
                registry_id="DEG-1",
                issuer="issuer of DEG-1",
                issued_on=date(2026, 11, 1),
                valid_until=None,
                details={"level": "doctorate"},
            ),
            ResolvedDocument(
                kind="criminal_record",
                registry_id="CRIM-1",
                issuer="issuer of CRIM-1",
                issued_on=date(2026, 11, 1),
                valid_until=date(2027, 5, 1),
            ),
            ResolvedDocument(
                kind="health",
                registry_id="HEALTH-1",
                issuer="issuer of HEALTH-1",
                issued_on=date(2026, 11, 1),
                valid_until=date(2027, 5, 1),
            ),
        ),
        flags=(),
    )


def with_documents(*refs: DocumentRef) -> CaseToVerify:
    return replace(COMPLETE, documents=refs)


REJECTIONS: list[tuple[str, CaseToVerify, RegistryFacts, list[tuple[str, dict[str, str]]]]] = [
    (
        "passport_expired_before_the_application_date",
        replace(COMPLETE, passport_expires_on=date(2027, 1, 3)),
        facts(),
        [("passport_expired", {"expires_on": "2027-01-03", "application_date": "2027-01-04"})],
    ),
    (
        "document_not_found_when_the_registry_id_does_not_exist",
        with_documents(DocumentRef(kind="health", registry_id="NOPE")),
        facts(),
        [("document_not_found", {"kind": "health", "registry_id": "NOPE", "problem": "not_found"})],
    ),
    (
        "document_not_found_when_it_belongs_to_another_person",
        with_documents(DocumentRef(kind="health", registry_id="HEALTH-BOB")),
        facts(),
        [
            (
                "document_not_found",
                {"kind": "health", "registry_id": "HEALTH-BOB", "problem": "not_found"},
            )
        ],
    ),
    (
        "document_not_found_when_it_is_of_another_kind",
        with_documents(DocumentRef(kind="degree", registry_id="HEALTH-1")),
        facts(),
        [
            (
                "document_not_found",
                {
                    "kind": "degree",
                    "registry_id": "HEALTH-1",
                    "problem": "other_kind",
                    "registered_kind": "health",
                },
            )
        ],
    ),
    (
        "employer_not_registered",
        COMPLETE,
        facts(employer=None),
        [("employer_not_registered", {"uscc": USCC})],
    ),
    (
        "duplicate_application_names_the_open_case",
        COMPLETE,
        facts(open_by="A-0"),
        [("duplicate_application", {"case_id": "A-0"})],
    ),
    (
        "every_reason_is_collected",
        replace(
            COMPLETE,
            passport_expires_on=date(2026, 1, 1),
            documents=(
                DocumentRef(kind="health", registry_id="NOPE"),
                DocumentRef(kind="health", registry_id="HEALTH-OLD"),
            ),
        ),
        facts(employer=None, open_by="A-0"),
        [
            ("passport_expired", {"expires_on": "2026-01-01", "application_date": "2027-01-04"}),
            (
                "document_not_found",
                {"kind": "health", "registry_id": "NOPE", "problem": "not_found"},
            ),
            ("employer_not_registered", {"uscc": USCC}),
            ("duplicate_application", {"case_id": "A-0"}),
        ],
    ),
]


@pytest.mark.parametrize(
    ("rule", "case", "registry", "expected"), REJECTIONS, ids=[r[0] for r in REJECTIONS]
)
def test_rejections(
    rule: str,
    case: CaseToVerify,
    registry: RegistryFacts,
    expected: list[tuple[str, dict[str, str]]],
) -> None:
    result = verify(case, registry)
    assert isinstance(result, Rejected), rule
    assert [(r.code, r.params) for r in result.reasons] == expected
    assert all(r.side == "identity" and r.detail for r in result.reasons)
    assert [r.legal_basis for r in result.reasons] == [legal_basis(r.code) for r in result.reasons]
    duplicate = [p["case_id"] for code, p in expected if code == "duplicate_application"]
    assert result.duplicate_of == (duplicate[0] if duplicate else None)


ACCEPTED: list[tuple[str, CaseToVerify, RegistryFacts]] = [
    ("passport_valid_on_its_last_day", replace(COMPLETE, passport_expires_on=APPLIED_ON), facts()),
    (
        "document_valid_on_its_last_day",
        with_documents(DocumentRef(kind="health", registry_id="HEALTH-LASTDAY")),
        facts(),
    ),
    ("the_case_holding_the_claim_is_not_its_own_duplicate", COMPLETE, facts(open_by="A-1")),
    (
        "uploads_are_not_registry_documents_and_are_passed_over",
        with_documents(DocumentRef(kind="health", upload_id="U-1")),
        facts(),
    ),
    ("no_documents_cited_is_not_identity_s_concern", with_documents(), facts()),
]


@pytest.mark.parametrize(("rule", "case", "registry"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted(rule: str, case: CaseToVerify, registry: RegistryFacts) -> None:
    assert isinstance(verify(case, registry), Verified), rule


@pytest.mark.parametrize(
    ("rule", "watchlisted", "flags"),
    [
        ("watchlist_match_raises_the_flag_and_does_not_refuse", True, ("watchlist_match",)),
        ("not_on_the_watch_list_no_flag", False, ()),
    ],
)
def test_watchlist_flag(rule: str, watchlisted: bool, flags: tuple[str, ...]) -> None:
    result = verify(COMPLETE, facts(watchlisted=watchlisted))
    assert isinstance(result, Verified), rule
    assert result.flags == flags


def test_an_upload_is_passed_on_unverified_with_what_the_gateway_recorded() -> None:
    uploaded_at = datetime(2026, 5, 31, 17, 30, tzinfo=UTC)  # 1 June, 01:30 in Shanghai
    case = with_documents(
        DocumentRef(
            kind="health",
            upload_id="U-1",
            sha256="ab" * 32,
            media_type="application/pdf",
            uploaded_at=uploaded_at,
        ),
        DocumentRef(kind="degree", registry_id="DEG-1"),
        DocumentRef(kind="health", upload_id="U-1"),  # cited twice, passed on once
    )
    result = verify(case, facts())
    assert isinstance(result, Verified)
    assert [d.registry_id for d in result.documents] == ["DEG-1", "upload:U-1"]
    upload = result.documents[1]
    assert (upload.kind, upload.issuer, upload.issued_on, upload.valid_until) == (
        "health",
        "uploaded by the applicant",
        date(2026, 6, 1),
        None,
    )
    assert upload.details == {
        "upload_id": "U-1",
        "sha256": "ab" * 32,
        "media_type": "application/pdf",
        "verified": False,
    }
    assert upload.unverified_upload
    assert not result.documents[0].unverified_upload
    assert registry_ids(case.documents) == ("DEG-1",)


def test_a_document_cited_twice_is_resolved_once() -> None:
    case = with_documents(
        DocumentRef(kind="degree", registry_id="DEG-1"),
        DocumentRef(kind="degree", registry_id="DEG-1"),
    )
    result = verify(case, facts())
    assert isinstance(result, Verified)
    assert [d.registry_id for d in result.documents] == ["DEG-1"]
    assert registry_ids(case.documents) == ("DEG-1",)


def test_missing_issuer_is_said_to_be_not_recorded() -> None:
    result = verify(
        with_documents(DocumentRef(kind="talent_recognition", registry_id="TALENT-1")), facts()
    )
    assert isinstance(result, Verified)
    assert result.documents[0].issuer == ISSUER_NOT_RECORDED


def test_an_expired_cited_certificate_is_passed_on_with_its_validity_not_refused() -> None:
    # The permit service that needs it asks for a current one (`document_expired`).
    result = verify(
        with_documents(
            DocumentRef(kind="degree", registry_id="DEG-1"),
            DocumentRef(kind="health", registry_id="HEALTH-OLD"),
        ),
        facts(),
    )
    assert isinstance(result, Verified)
    expired = next(d for d in result.documents if d.registry_id == "HEALTH-OLD")
    assert (expired.kind, expired.valid_until) == ("health", date(2027, 1, 3))


TALENT_HELD = cert("TALENT-HELD", "talent_recognition", valid_until=None)
TALENT_LAPSED = cert("TALENT-LAPSED", "talent_recognition", valid_until=date(2027, 1, 3))
TALENT_LAST_DAY = cert("TALENT-LAST-DAY", "talent_recognition", valid_until=APPLIED_ON)
TALENT_OF_BOB = cert("TALENT-BOB", "talent_recognition", holder=OTHER, valid_until=None)
HEALTH_HELD = cert("HEALTH-HELD", "health")

HELD_RECOGNITIONS: list[tuple[str, CaseToVerify, tuple[CertificateRecord, ...], list[str]]] = [
    ("a_held_recognition_counts_uncited", COMPLETE, (TALENT_HELD,), ["TALENT-HELD"]),
    (
        "a_recognition_valid_on_its_last_day_counts",
        COMPLETE,
        (TALENT_LAST_DAY,),
        ["TALENT-LAST-DAY"],
    ),
    ("an_uncited_lapsed_recognition_is_not_passed_on", COMPLETE, (TALENT_LAPSED,), []),
    ("another_persons_recognition_is_never_passed_on", COMPLETE, (TALENT_OF_BOB,), []),
    ("other_uncited_certificates_are_not_passed_on", COMPLETE, (HEALTH_HELD,), []),
    (
        "a_cited_recognition_is_resolved_once",
        with_documents(DocumentRef(kind="talent_recognition", registry_id="TALENT-1")),
        (REGISTRY["TALENT-1"],),
        ["TALENT-1"],
    ),
]


@pytest.mark.parametrize(
    ("rule", "case", "held", "recognitions"),
    HELD_RECOGNITIONS,
    ids=[h[0] for h in HELD_RECOGNITIONS],
)
def test_talent_recognitions_held_in_the_registry(
    rule: str, case: CaseToVerify, held: tuple[CertificateRecord, ...], recognitions: list[str]
) -> None:
    result = verify(case, facts(held=held))
    assert isinstance(result, Verified), rule
    found = [d.registry_id for d in result.documents if d.kind == "talent_recognition"]
    assert found == recognitions, rule


def test_every_reason_identity_gives_has_an_article() -> None:
    assert set(ARTICLES) == {
        "passport_expired",
        "employer_not_registered",
        "duplicate_application",
        "document_not_found",
    }
    assert legal_basis("document_not_found").model_dump() == {
        "policy": POLICY,
        "article": ARTICLES["document_not_found"],
    }
