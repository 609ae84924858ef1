"""The reasons both permits give in the same words, each on its own side and legal basis.

A service's reasons are a `Reasons` of its side and its legal bases (`Articles`: one
article of its policy per reason code); it adds its own as methods that name them with
`of`, and the reasons that read the same on either permit (the passport, a cited or
uploaded certificate, the watch list, an officer's refusal) are written here once.
`detail` is an English sentence for logs and operators; `params` carries the facts under
the keys `onewindow.contracts.reasons.PARAMS` reads, for the bilingual catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from onewindow.contracts.v1.common import (
    LegalBasis,
    PermitSide,
    Reason,
    ReasonCode,
    ResolvedDocument,
)
from onewindow.permits.dates import add_months


@dataclass(frozen=True)
class Articles:
    """The legal basis of every reason a permit gives: `policy` is the version id of the
    published policy whose sources the articles cite, `articles` one article per reason
    code (this project's own identifiers for the clauses, not an official numbering)."""

    policy: str
    articles: Mapping[ReasonCode, str]

    def __call__(self, code: ReasonCode) -> LegalBasis:
        """The policy and article reason `code` rests on.

        Raises `KeyError` for a code the permit never gives (a reason without a basis is
        a bug, caught by the tests).
        """
        return LegalBasis(policy=self.policy, article=self.articles[code])


@dataclass(frozen=True)
class Reasons:
    """The reasons of one permit: `side`, the article each rests on (`legal_basis`), and
    how an uploaded document is named (`uploaded`, formatted with its `kind`)."""

    side: PermitSide
    legal_basis: Callable[[ReasonCode], LegalBasis]
    uploaded: str = "{kind}"

    def of(self, code: ReasonCode, detail: str | None = None, **facts: object) -> Reason:
        """The reason `code` on this permit, on its legal basis, with `facts` as its
        params (written as strings: dates as `YYYY-MM-DD`, numbers in digits)."""
        return Reason(
            code=code,
            legal_basis=self.legal_basis(code),
            side=self.side,
            detail=detail,
            params={name: str(fact) for name, fact in facts.items()},
        )

    def passport(self, expires_on: date, application_date: date, months: int) -> list[Reason]:
        """Expired on the application date, or valid for less than `months` after it."""
        if expires_on < application_date:
            return [self.passport_expired(expires_on, application_date)]
        needed_until = add_months(application_date, months)
        if expires_on < needed_until:
            return [self.passport_validity_too_short(expires_on, needed_until, months)]
        return []

    def passport_expired(self, expires_on: date, application_date: date) -> Reason:
        return self.of(
            "passport_expired",
            f"The passport expired on {expires_on} and was not valid on {application_date}.",
            expires_on=expires_on,
            application_date=application_date,
        )

    def passport_validity_too_short(
        self, expires_on: date, needed_until: date, months: int
    ) -> Reason:
        return self.of(
            "passport_validity_too_short",
            f"The passport expires on {expires_on}; it must be valid for at least {months} "
            f"months, until {needed_until}.",
            expires_on=expires_on,
            minimum_months=months,
            valid_until_at_least=needed_until,
        )

    def document_expired(self, document: ResolvedDocument, application_date: date) -> Reason:
        """A cited certificate no longer in force: the applicant is asked for a current one."""
        return self.of(
            "document_expired",
            f"The cited {document.kind} {document.registry_id} expired on "
            f"{document.valid_until}, before the application date {application_date}.",
            kind=document.kind,
            registry_id=document.registry_id,
            valid_until=document.valid_until,
        )

    def document_unverified(self, document: ResolvedDocument, check: str) -> Reason:
        """An uploaded certificate, present but not verified: an officer checks the scan
        (`check` says what to look for) before it counts. Also the reason of a refusal
        when the officer finds it wanting (`refused_by_officer`)."""
        upload_id = str(document.details.get("upload_id", document.registry_id))
        return self.of(
            "document_unverified",
            f"The {self.uploaded.format(kind=document.kind)} was uploaded (upload {upload_id}, "
            f"{document.details.get('media_type') or 'scan'}); an officer verifies it before "
            f"it counts: {check}. Download it at /v1/uploads/{upload_id}.",
            kind=document.kind,
            upload_id=upload_id,
            sha256=document.details.get("sha256") or "",
            check=check,
        )

    def watchlist_match(self) -> Reason:
        return self.of(
            "watchlist_match", "Identity flagged a watch-list match; an officer decides."
        )

    def refused_by_officer(
        self, officer: str, reason: str, under_review: Sequence[Reason] = ()
    ) -> Reason:
        """The officer's refusal, in the officer's words. When the review was about
        uploaded documents only (`under_review`: the reasons the permit was sent to review
        for), the officer refused the uploads: `document_unverified`, naming them."""
        if under_review and all(r.code == "document_unverified" for r in under_review):
            return self.of(
                "document_unverified",
                reason or "The reviewing officer could not verify the uploaded document.",
                kind=",".join(dict.fromkeys(r.params.get("kind", "") for r in under_review)),
                upload_id=",".join(r.params.get("upload_id", "") for r in under_review),
                officer=officer,
            )
        return self.of(
            "refused_by_officer", reason or "Refused by the reviewing officer.", officer=officer
        )
