"""The reasons a residence permit is refused or sent to review, with the facts behind each.

`REASONS` gives every one of them: those both permits word alike (the passport, a cited or
uploaded certificate, the watch list, an officer's refusal: `onewindow.permits.reasons`)
and the residence permit's own, below, each on the residence side and its article of the
policy (`policy.legal_basis`). `detail` is an English sentence for logs and operators;
`params` carries the facts under the keys `onewindow.contracts.reasons.PARAMS` reads, for
the bilingual catalogue.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from onewindow.contracts.v1.common import Reason
from onewindow.permits.reasons import Reasons
from onewindow.residence_permit.domain.policy import legal_basis


class ResidencePermitReasons(Reasons):
    """What only a residence permit is refused or sent to review for."""

    def registration_number_required(self) -> Reason:
        """No registration number: the applicant is asked for it (a supplement, not a
        refusal)."""
        return self.of(
            "registration_number_required",
            "No temporary residence registration number was given.",
        )

    def health_certificate_too_old(
        self, issued_on: date, oldest_accepted: date, months: int
    ) -> Reason:
        return self.of(
            "health_certificate_too_old",
            f"The health certificate was issued on {issued_on}; it must be issued on or after "
            f"{oldest_accepted}, within {months} months before the application.",
            issued_on=issued_on,
            maximum_months=months,
            issued_on_or_after=oldest_accepted,
        )

    def health_certificate_missing(self) -> Reason:
        return self.of("document_missing", "No health certificate was cited.", documents="health")

    def permit_not_issued(self, application_id: str, state: str) -> Reason:
        return self.of(
            "document_not_found",
            f"Application {application_id} holds no issued residence permit ({state}).",
            kind="residence_permit",
        )


# An uploaded certificate is named for its kind (`health certificate`).
REASONS: Final = ResidencePermitReasons("residence", legal_basis, uploaded="{kind} certificate")
