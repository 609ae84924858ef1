"""Verification of the person of a case, and resolution of the documents it cites.

Every rule is a small check that returns the reasons it finds; `verify` runs
them all, so a refused applicant learns every reason at once rather than one
per attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from onewindow.contracts.v1.common import (
    UPLOAD_REFERENCE_PREFIX,
    DocumentRef,
    Employer,
    Reason,
    ReasonCode,
    ResolvedDocument,
)
from onewindow.contracts.v1.identity import Flag
from onewindow.identity.domain.open_case import OpenCase
from onewindow.identity.domain.person import PassportHolder
from onewindow.identity.domain.policy import legal_basis
from onewindow.identity.domain.registry import CertificateRecord, EmployerRecord
from onewindow.runtime.clock import local_date

# Issuer shown for a certificate whose clerk did not record one (the field is optional
# in the registry's API, required in a resolved document).
ISSUER_NOT_RECORDED = "not recorded"
# Issuer shown for an uploaded scan: who issued the paper is for the officer to read.
UPLOADED_BY_APPLICANT = "uploaded by the applicant"


@dataclass(frozen=True, slots=True)
class CaseToVerify:
    """What verification needs of a case: the person, their passport, employer and documents."""

    application_id: str
    holder: PassportHolder
    passport_expires_on: date
    employer_uscc: str
    documents: tuple[DocumentRef, ...]
    application_date: date
    # The submitter's account was verified for this passport (v1.1, applicant binding).
    verified_applicant: bool = False


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    """What the registry holds for this case, looked up before deciding.

    `certificates` holds only the cited registry ids that exist; `held` every
    certificate the registry lists for this person (cited or not).
    """

    employer: EmployerRecord | None
    certificates: Mapping[str, CertificateRecord]
    watchlisted: bool
    open_case: OpenCase
    held: tuple[CertificateRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Verified:
    employer: Employer
    documents: tuple[ResolvedDocument, ...]
    flags: tuple[Flag, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    reasons: tuple[Reason, ...]
    duplicate_of: str | None = None


Verification = Verified | Rejected


def _reason(code: ReasonCode, detail: str, **params: str) -> Reason:
    return Reason(
        code=code, side="identity", detail=detail, params=params, legal_basis=legal_basis(code)
    )


def check_passport_valid(case: CaseToVerify) -> list[Reason]:
    """The passport must still be valid on the application date (its expiry day counts)."""
    if case.application_date <= case.passport_expires_on:
        return []
    return [
        _reason(
            "passport_expired",
            "the passport is not valid on the application date",
            expires_on=case.passport_expires_on.isoformat(),
            application_date=case.application_date.isoformat(),
        )
    ]


def registry_ids(documents: tuple[DocumentRef, ...]) -> tuple[str, ...]:
    """The registry ids a case cites, each once, in the order cited.

    Uploads (an `upload_id` without a `registry_id`) are not registry documents
    (`uploaded_documents` passes them on).
    """
    seen: dict[str, None] = {}
    for ref in documents:
        if ref.registry_id is not None:
            seen.setdefault(ref.registry_id, None)
    return tuple(seen)


def _resolved(certificate: CertificateRecord) -> ResolvedDocument:
    return ResolvedDocument(
        kind=certificate.kind,
        registry_id=certificate.certificate_id,
        issuer=certificate.issuer or ISSUER_NOT_RECORDED,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        details=dict(certificate.details),
    )


def uploaded_documents(case: CaseToVerify) -> tuple[ResolvedDocument, ...]:
    """Each cited upload, passed on unverified (DOMAIN.md "Evidence"): never missing, but
    the permit service that needs it sends it to an officer, who verifies it first.

    The gateway admitted the citation (the case's own upload, of the kind cited) and
    wrote in what it recorded; identity has no store of uploads to look in. Its issue
    date is the officer's to read on the scan: the day it was uploaded stands in for it.
    """
    seen: dict[str, ResolvedDocument] = {}
    for ref in case.documents:
        if ref.upload_id is None or ref.registry_id is not None or ref.upload_id in seen:
            continue
        uploaded_on = (
            local_date(ref.uploaded_at) if ref.uploaded_at is not None else case.application_date
        )
        seen[ref.upload_id] = ResolvedDocument(
            kind=ref.kind,
            registry_id=f"{UPLOAD_REFERENCE_PREFIX}{ref.upload_id}",
            issuer=UPLOADED_BY_APPLICANT,
            issued_on=uploaded_on,
            details={
                "upload_id": ref.upload_id,
                "sha256": ref.sha256,
                "media_type": ref.media_type,
                "verified": False,
            },
        )
    return tuple(seen.values())


def resolve_documents(
    case: CaseToVerify, certificates: Mapping[str, CertificateRecord]
) -> tuple[tuple[ResolvedDocument, ...], list[Reason]]:
    """Each cited registry document, resolved, or a `document_not_found` reason.

    A document is found when it exists, is of the kind cited and belongs to this
    person. A certificate of another person reads exactly like a missing one, so
    nobody learns that it exists. A certificate that has expired by the application
    date is resolved all the same, with its validity: the permit service that needs
    it asks the applicant for a current one (`document_expired`), which a refusal
    here could not do.
    """
    resolved: list[ResolvedDocument] = []
    reasons: list[Reason] = []
    handled: set[str] = set()
    for ref in case.documents:
        if ref.registry_id is None or ref.registry_id in handled:
            continue
        handled.add(ref.registry_id)
        where = {"kind": ref.kind, "registry_id": ref.registry_id}
        found = certificates.get(ref.registry_id)
        if found is None or not found.is_held_by(case.holder):
            reasons.append(
                _reason(
                    "document_not_found",
                    "no such document in the registry for this person",
                    problem="not_found",
                    **where,
                )
            )
        elif found.kind != ref.kind:
            reasons.append(
                _reason(
                    "document_not_found",
                    f"the registry document is a {found.kind}, not a {ref.kind}",
                    problem="other_kind",
                    registered_kind=found.kind,
                    **where,
                )
            )
        else:
            resolved.append(_resolved(found))
    return tuple(resolved), reasons


def held_recognitions(
    case: CaseToVerify, held: tuple[CertificateRecord, ...], cited: tuple[ResolvedDocument, ...]
) -> tuple[ResolvedDocument, ...]:
    """The talent recognitions the registry holds for this person that the case does not cite.

    A recognition in the registry makes its holder Category A whether or not the form
    names it (DOMAIN.md "Evidence"), so identity passes it on. Only those in force on
    the application date: an uncited lapsed one would only ask the applicant for a
    certificate they never relied on.
    """
    already = {d.registry_id for d in cited}
    return tuple(
        _resolved(certificate)
        for certificate in held
        if certificate.kind == "talent_recognition"
        and certificate.certificate_id not in already
        and certificate.is_held_by(case.holder)
        and certificate.is_valid_on(case.application_date)
    )


def check_employer_registered(
    case: CaseToVerify, employer: EmployerRecord | None
) -> tuple[Employer | None, list[Reason]]:
    """The employer must be in the registry; its licence is judged by the work permit."""
    if employer is None:
        return None, [
            _reason(
                "employer_not_registered",
                "the employer's USCC is not in the registry",
                uscc=case.employer_uscc,
            )
        ]
    found = Employer(
        uscc=employer.uscc, name=employer.name, licence_valid_until=employer.licence_valid_until
    )
    return found, []


def check_not_duplicate(case: CaseToVerify, open_case: OpenCase) -> tuple[str | None, list[Reason]]:
    """No second open case for the same person and employer; the reason names the first.

    A verified applicant's case is never a duplicate of an unverified one's (it
    displaces it), and a displaced case is not a duplicate either: it goes to an
    officer with the flag `unverified_applicant` (`flags_for`).
    """
    if open_case.was_displaced(case.application_id):
        return None, []
    first = open_case.duplicate_for(case.application_id, verified=case.verified_applicant)
    if first is None:
        return None, []
    return first, [
        _reason(
            "duplicate_application",
            "an open case exists for the same person and employer",
            case_id=first,
        )
    ]


def flags_for(watchlisted: bool, displaced: bool = False) -> tuple[Flag, ...]:
    """Flags that send the case to an officer; a flag never refuses on its own.

    `displaced`: a verified applicant's case took this unverified case's claim.
    """
    flags: tuple[Flag, ...] = ("watchlist_match",) if watchlisted else ()
    return (*flags, "unverified_applicant") if displaced else flags


def verify(case: CaseToVerify, facts: RegistryFacts) -> Verification:
    """Verify the case against the registry: every reason found, or the resolved case."""
    reasons = check_passport_valid(case)
    documents, document_reasons = resolve_documents(case, facts.certificates)
    documents += held_recognitions(case, facts.held, documents)
    documents += uploaded_documents(case)
    employer, employer_reasons = check_employer_registered(case, facts.employer)
    duplicate_of, duplicate_reasons = check_not_duplicate(case, facts.open_case)
    reasons += document_reasons + employer_reasons + duplicate_reasons
    if reasons or employer is None:
        return Rejected(reasons=tuple(reasons), duplicate_of=duplicate_of)
    flags = flags_for(facts.watchlisted, facts.open_case.was_displaced(case.application_id))
    return Verified(employer=employer, documents=documents, flags=flags)
