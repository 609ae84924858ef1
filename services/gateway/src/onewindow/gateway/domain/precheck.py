"""The pre-check (API.md v1.1 `POST /v1/prechecks`): an application as the system would
take it now, nothing stored.

The permit rules are not here. The gateway builds the very assessment commands the saga
would send once identity had verified the case, and the work-permit and residence-permit
services answer them with their own rules and policy in force, as a dry run
(`onewindow.permits.preview`). What is here is the step before: how identity would
resolve the cited documents against the registry (cited certificates must be the
applicant's and of the kind cited; a talent recognition on file counts uncited; uploads
pass on unverified; the employer must be registered; a watch-list entry is a flag). It
mirrors `onewindow.identity.domain.verification`, which the gateway may not import;
`tests/e2e/test_prechecks.py` submits the same bodies and checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Literal

from onewindow.contracts.v1.common import (
    UPLOAD_REFERENCE_PREFIX,
    ApplicationForm,
    DocumentRef,
    Employer,
    LegalBasis,
    Reason,
    ReasonCode,
    ResolvedDocument,
)
from onewindow.contracts.v1.identity import Flag
from onewindow.contracts.v1.residence_permit import (
    AssessResidencePermit,
    ResidencePermitRefused,
    ResidencePermitReviewRequired,
)
from onewindow.contracts.v1.work_permit import (
    AssessWorkPermit,
    WorkPermitRefused,
    WorkPermitReviewRequired,
)
from onewindow.runtime.clock import local_date

# The saga's policy (`onewindow.applications.domain.policy`, `decision_due_working_days`):
# a decision is due 7 working days after a complete application. tests/prechecks checks
# that the two agree.
DECISION_DUE_WORKING_DAYS: Final = 7
# Identity's legal basis of the reasons it gives (`onewindow.identity.domain.policy`).
IDENTITY_POLICY: Final = "one-window-2026.1-shanghai"
IDENTITY_ARTICLES: Final[Mapping[ReasonCode, str]] = {
    "employer_not_registered": "§2.3",
    "document_not_found": "§3.2",
}
# As identity words them (`verification.ISSUER_NOT_RECORDED`, `UPLOADED_BY_APPLICANT`).
ISSUER_NOT_RECORDED: Final = "not recorded"
UPLOADED_BY_APPLICANT: Final = "uploaded by the applicant"
# The person a pre-check is about has no reference yet; the permit services do not read it.
PRECHECK_PERSON: Final = "precheck"
# What a missing registration number is named in `missing_documents`.
REGISTRATION_NUMBER: Final = "registration_number"

Outcome = Literal["fast_track", "documents_requested", "officer_review", "refused"]
Side = Literal["reserved", "refused", "review_required"]


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate the registry holds for the applicant's passport."""

    registry_id: str
    kind: str
    issued_on: date
    valid_until: date | None = None
    issuer: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def in_force(self, day: date) -> bool:
        """Valid on `day` (the last valid day counts); without an end it always is."""
        return self.valid_until is None or day <= self.valid_until

    def resolved(self) -> ResolvedDocument:
        """As identity passes it on to the permit services."""
        return ResolvedDocument.model_validate(
            {
                "kind": self.kind,
                "registry_id": self.registry_id,
                "issuer": self.issuer or ISSUER_NOT_RECORDED,
                "issued_on": self.issued_on,
                "valid_until": self.valid_until,
                "details": dict(self.details),
            }
        )


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    """What the registry holds for the application: its employer, the applicant's
    certificates, and whether the applicant is on the watch list."""

    employer: Employer | None
    held: tuple[Certificate, ...]
    watchlisted: bool


@dataclass(frozen=True, slots=True)
class Resolution:
    """The application as identity would pass it on: its documents and flags, or the
    reasons identity would refuse it for."""

    documents: tuple[ResolvedDocument, ...]
    flags: tuple[Flag, ...]
    reasons: tuple[Reason, ...]


def identity_reason(code: ReasonCode, detail: str, **params: str) -> Reason:
    basis = LegalBasis(policy=IDENTITY_POLICY, article=IDENTITY_ARTICLES[code])
    return Reason(code=code, side="identity", detail=detail, params=params, legal_basis=basis)


def resolve(form: ApplicationForm, facts: RegistryFacts, today: date) -> Resolution:
    """Identity's verification of the application against the registry, today."""
    held = {c.registry_id: c for c in facts.held}
    documents: list[ResolvedDocument] = []
    reasons: list[Reason] = []
    cited: set[str] = set()
    for ref in form.documents:
        if ref.registry_id is None or ref.registry_id in cited:
            continue
        cited.add(ref.registry_id)
        where = {"kind": ref.kind, "registry_id": ref.registry_id}
        found = held.get(ref.registry_id)
        if found is None:
            reasons.append(
                identity_reason(
                    "document_not_found",
                    "no such document in the registry for this person",
                    problem="not_found",
                    **where,
                )
            )
        elif found.kind != ref.kind:
            reasons.append(
                identity_reason(
                    "document_not_found",
                    f"the registry document is a {found.kind}, not a {ref.kind}",
                    problem="other_kind",
                    registered_kind=found.kind,
                    **where,
                )
            )
        else:
            documents.append(found.resolved())
    # A recognition on file counts uncited (DOMAIN.md "Evidence"), unless already resolved.
    resolved = {d.registry_id for d in documents}
    documents += [
        c.resolved()
        for c in facts.held
        if c.kind == "talent_recognition" and c.registry_id not in resolved and c.in_force(today)
    ]
    documents += uploaded(form.documents, today)
    if facts.employer is None:
        reasons.append(
            identity_reason(
                "employer_not_registered",
                "the employer's USCC is not in the registry",
                uscc=form.employer.uscc,
            )
        )
    flags: tuple[Flag, ...] = ("watchlist_match",) if facts.watchlisted else ()
    return Resolution(tuple(documents), flags, tuple(reasons))


def uploaded(documents: Sequence[DocumentRef], today: date) -> list[ResolvedDocument]:
    """Each cited upload, unverified (an officer verifies it before it counts)."""
    seen: dict[str, ResolvedDocument] = {}
    for ref in documents:
        if ref.upload_id is None or ref.registry_id is not None or ref.upload_id in seen:
            continue
        seen[ref.upload_id] = ResolvedDocument(
            kind=ref.kind,
            registry_id=f"{UPLOAD_REFERENCE_PREFIX}{ref.upload_id}",
            issuer=UPLOADED_BY_APPLICANT,
            issued_on=local_date(ref.uploaded_at) if ref.uploaded_at is not None else today,
            details={
                "upload_id": ref.upload_id,
                "sha256": ref.sha256,
                "media_type": ref.media_type,
                "verified": False,
            },
        )
    return list(seen.values())


def assessments(
    form: ApplicationForm, facts: RegistryFacts, resolution: Resolution, today: date
) -> tuple[AssessWorkPermit, AssessResidencePermit]:
    """The two commands the saga would send for this application submitted today.

    An employer the registry does not know (identity would refuse the case for it) stands
    in with a licence valid today, so the permits' own answers still show.
    """
    applicant = form.applicant
    employer = facts.employer or Employer(
        uscc=form.employer.uscc, name=form.employer.uscc, licence_valid_until=today
    )
    common: dict[str, Any] = {
        "application_id": f"precheck-{applicant.nationality}-{applicant.passport.number}",
        "person_ref": PRECHECK_PERSON,
        "date_of_birth": applicant.date_of_birth,
        "passport_expires_on": applicant.passport.expires_on,
        "documents": resolution.documents,
        "flags": resolution.flags,
        "application_date": today,
    }
    work = AssessWorkPermit(
        **common,
        employer=employer,
        position=form.position,
        qualifications=form.qualifications,
        commitments=form.commitments,
    )
    residence = AssessResidencePermit(
        **common, registration_number=form.residence.registration_number
    )
    return work, residence


def answered(event: object) -> Side:
    """What a permit service's answer says: reserved, refused or review required."""
    if isinstance(event, WorkPermitRefused | ResidencePermitRefused):
        return "refused"
    if isinstance(event, WorkPermitReviewRequired | ResidencePermitReviewRequired):
        return "review_required"
    return "reserved"


def outcome(reasons: Sequence[Reason], review: Sequence[Reason], missing: Sequence[str]) -> Outcome:
    """What a submission would meet first: a refusal, a supplement request, an officer, or
    nothing (fast track to a decision)."""
    if reasons:
        return "refused"
    if missing:
        return "documents_requested"
    if review:
        return "officer_review"
    return "fast_track"


def why_missing(kind: str, reasons: Sequence[Reason]) -> Reason | None:
    """The reason that asks for `kind` (a document kind, or the registration number)."""
    for reason in reasons:
        if kind == REGISTRATION_NUMBER and reason.code == "registration_number_required":
            return reason
        if reason.code == "document_missing" and kind in reason.params.get("documents", ""):
            return reason
        if reason.code == "document_expired" and reason.params.get("kind") == kind:
            return reason
    return None


def on_file(kind: str, facts: RegistryFacts, form: ApplicationForm, today: date) -> str | None:
    """A certificate of `kind` the registry holds in force that the form does not cite:
    citing it would answer the request (nothing to upload)."""
    cited = {d.registry_id for d in form.documents if d.registry_id}
    found = [c for c in facts.held if c.kind == kind and c.in_force(today)]
    fresh = [c for c in found if c.registry_id not in cited]
    latest = max(fresh, key=lambda c: c.issued_on, default=None)
    return latest.registry_id if latest is not None else None
