"""The reasons a work permit is refused or sent to review, with the facts behind each.

`REASONS` gives every one of them: those both permits word alike (the passport, a cited or
uploaded certificate, the watch list, an officer's refusal: `onewindow.permits.reasons`)
and the work permit's own, below, each on the work side and its article of the policy
(`policy.legal_basis`). `detail` is an English sentence for logs and operators; `params`
carries the facts under the keys `onewindow.contracts.reasons.PARAMS` reads, so the
bilingual catalogue can word them in Chinese and English for the applicant.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from onewindow.contracts.v1.common import Classification, Reason
from onewindow.permits.reasons import Reasons
from onewindow.work_permit.domain.policy import ExtensionWindow, legal_basis

# The contract is carried by the position, not cited as a registry document; the reason
# catalogue knows it under this name.
EMPLOYMENT_CONTRACT: Final = "employment_contract"


class WorkPermitReasons(Reasons):
    """What only a work permit is refused or sent to review for."""

    def employer_licence_expired(self, valid_until: date, today: date) -> Reason:
        return self.of(
            "employer_licence_expired",
            f"The employer's business licence expired on {valid_until} (decided {today}).",
            valid_until=valid_until,
            decision_date=today,
        )

    def not_eligible_category(
        self, classification: Classification, eligible: frozenset[str]
    ) -> Reason:
        accepted = " or ".join(sorted(eligible))
        return self.of(
            "not_eligible_category",
            f"Category {classification.category} ({classification.points} points): the "
            f"one-window service is for Category {accepted}. Apply for the work permit and "
            "the residence permit separately.",
            category=classification.category,
            points=classification.points,
            eligible=accepted,
            hint="apply_separately",
        )

    def document_missing(self, kind: str, why: str) -> Reason:
        return self.of("document_missing", why, documents=kind)

    def outside_extension_window(
        self,
        opens: date,
        closes: date,
        valid_until: date,
        requested_on: date,
        window: ExtensionWindow,
    ) -> Reason:
        days = f"{window.opens_days_before_expiry} to {window.closes_days_before_expiry} days"
        return self.of(
            "outside_extension_window",
            f"An extension can be requested from {opens} to {closes}, {days} before the "
            f"permit expires on {valid_until}; this request came on {requested_on}.",
            window_opens=opens,
            window_closes=closes,
            expires_on=valid_until,
            requested_on=requested_on,
        )

    def permit_not_found(self, permit_number: str) -> Reason:
        return self.of(
            "document_not_found",
            f"No issued work permit has the number {permit_number}.",
            kind="work_permit",
            registry_id=permit_number,
        )

    def contract_not_extended(self, contract_end: date, valid_until: date) -> Reason:
        return self.of(
            "document_missing",
            f"The employment contract ends on {contract_end}, not after the permit's current "
            f"validity ({valid_until}); an extension needs a contract that runs longer.",
            documents=EMPLOYMENT_CONTRACT,
            contract_end=contract_end,
            valid_until=valid_until,
        )


REASONS: Final = WorkPermitReasons("work", legal_basis)
