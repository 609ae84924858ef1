"""The pre-check use case (API.md v1.1 `POST /v1/prechecks`): the same body as an
application, nothing stored or sent.

It admits the body as a submission would be admitted (the door's rules, the caller's right
to act for the employer and the passport, only the caller's own uploads), reads what the
registry holds for the applicant, resolves the citations as identity would
(`domain.precheck`), and asks the two permit services what they would decide today. The
answer says the category and every factor's points, what is on file, what is missing and
why, every reason a submission would be refused for, and the day its decision would be due.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import ApplicationForm, Classification, Reason
from onewindow.gateway.adapters.identity import IdentityRegistry, registry_facts
from onewindow.gateway.adapters.permit_previews import AssessmentPreviews
from onewindow.gateway.application.uploads import Uploads
from onewindow.gateway.domain import admission, binding
from onewindow.gateway.domain.errors import NotYourCompany, UpstreamUnavailable
from onewindow.gateway.domain.ownership import may_submit_for
from onewindow.gateway.domain.precheck import (
    DECISION_DUE_WORKING_DAYS,
    RegistryFacts,
    answered,
    assessments,
    on_file,
    outcome,
    resolve,
    why_missing,
)
from onewindow.gateway.domain.uploads import citing_accounts
from onewindow.gateway.readmodel.projection import reason_view
from onewindow.runtime.calendar import WorkingCalendar
from onewindow.runtime.clock import Clock, local_today


class Prechecks:
    """`POST /v1/prechecks`: what a submission of this body would meet today."""

    def __init__(
        self,
        *,
        registry: IdentityRegistry,
        previews: AssessmentPreviews,
        uploads: Uploads,
        clock: Clock,
        calendar: WorkingCalendar,
    ) -> None:
        self.registry, self.previews, self.uploads = registry, previews, uploads
        self.clock, self.calendar = clock, calendar

    async def precheck(
        self, actor: Actor, form: ApplicationForm, *, account: str | None = None
    ) -> dict[str, Any]:
        """The pre-check's answer (API.md v1.1); raises what a submission would raise for a
        body the door refuses (422), an employer or passport not the caller's (403)."""
        today = local_today(self.clock)
        admission.check(admission.application_violations(form, today))
        if not may_submit_for(actor, form.employer.uscc):
            raise NotYourCompany(form.employer.uscc)
        submitter = binding.submitter(actor, account)
        binding.check_passport(submitter, form)
        documents = await self.uploads.admit(form.documents, citing_accounts(submitter))
        form = form.model_copy(update={"documents": documents})
        applicant = form.applicant
        facts = await registry_facts(
            self.registry,
            actor,
            applicant.nationality,
            applicant.passport.number,
            form.employer.uscc,
        )
        resolution = resolve(form, facts, today)
        work_command, residence_command = assessments(form, facts, resolution, today)
        work, residence = await asyncio.gather(
            self.previews.work(work_command), self.previews.residence(residence_command)
        )
        classification = getattr(work, "classification", None)
        if not isinstance(classification, Classification):
            raise UpstreamUnavailable("The work-permit service answered without a category.")
        sides = (work, residence)
        refusals = [*resolution.reasons, *_reasons(sides, "refused")]
        review = _reasons(sides, "review_required")
        missing_kinds = [kind for side in sides for kind in getattr(side, "missing_documents", ())]
        return {
            "category": classification.category,
            "points": {
                "total": classification.points,
                "factors": [f.model_dump() for f in classification.factors],
                "direct_criterion": classification.direct_criterion,
                "policy_version": classification.policy_version,
            },
            "eligible": not any(r.code == "not_eligible_category" for r in refusals),
            "registry_documents": _on_file(form, facts, today),
            "employer": facts.employer.model_dump(mode="json") if facts.employer else None,
            "missing": _missing(dict.fromkeys(missing_kinds), review, form, facts, today),
            "reasons": [reason_view(r) for r in refusals],
            "review": [reason_view(r) for r in review],
            "outcome": outcome(refusals, review, missing_kinds),
            "work_permit": _side(work),
            "residence_permit": _side(residence),
            "earliest_decision_on": self.calendar.add_working_days(
                today, DECISION_DUE_WORKING_DAYS
            ).isoformat(),
        }


def _reasons(sides: Sequence[object], answer: str) -> list[Reason]:
    return [r for side in sides if answered(side) == answer for r in getattr(side, "reasons", ())]


def _side(event: object) -> dict[str, Any]:
    valid_until = getattr(event, "valid_until", None)
    return {
        "outcome": answered(event),
        "valid_until": valid_until.isoformat() if isinstance(valid_until, date) else None,
    }


def _on_file(form: ApplicationForm, facts: RegistryFacts, today: date) -> list[dict[str, Any]]:
    cited = {d.registry_id for d in form.documents if d.registry_id}
    return [
        {
            "kind": c.kind,
            "registry_id": c.registry_id,
            "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            "issued_on": c.issued_on.isoformat(),
            "issuer": c.issuer,
            "details": dict(c.details),
            "in_force": c.in_force(today),
            "cited": c.registry_id in cited,
        }
        for c in sorted(facts.held, key=lambda c: (c.kind, c.issued_on), reverse=False)
    ]


def _missing(
    kinds: dict[str, None],
    review: Sequence[Reason],
    form: ApplicationForm,
    facts: RegistryFacts,
    today: date,
) -> list[dict[str, Any]]:
    found = []
    for kind in kinds:
        reason = why_missing(kind, review)
        view = reason_view(reason) if reason is not None else None
        found.append(
            {
                "kind": kind,
                "why": view["message_en"] if view else f"No {kind.replace('_', ' ')} was given.",
                "code": view["code"] if view else "document_missing",
                "message_en": view["message_en"] if view else None,
                "message_zh": view["message_zh"] if view else None,
                "on_file": on_file(kind, facts, form, today),
            }
        )
    return found
