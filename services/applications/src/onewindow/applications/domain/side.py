"""One side of the joint decision (the work or the residence permit) as the saga sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from onewindow.applications.domain.events import OfficerDecisionRecorded, SideAssessed
from onewindow.contracts.v1.common import Classification, Reason, ReasonCode

SideStatus = Literal[
    "pending", "reserved", "lapsed", "issued", "refused", "cancelled", "revoked", "review"
]
# A side in one of these holds nothing any more: nothing to cancel, nothing to wait for.
SETTLED: frozenset[SideStatus] = frozenset({"cancelled", "refused", "revoked"})


@dataclass
class Side:
    status: SideStatus = "pending"
    assessing: bool = False
    cancel_requested: bool = False
    cancel_reason: ReasonCode | None = None
    renewing: int = 0  # the attempt of the renewal under way (0: none)
    renewals: int = 0
    issue_requested: bool = False
    issue_round: int = 0  # the `IssueStarted` attempt that asked for it (its command's id)
    number: str | None = None
    valid_until: date | None = None
    reasons: tuple[Reason, ...] = ()
    missing_documents: tuple[str, ...] = ()
    classification: Classification | None = None
    # The officer's decision sent to the permit service and not yet answered (for resends).
    officer_decision: OfficerDecisionRecorded | None = None
    officer_round: int = 0

    def request_assessment(self) -> None:
        self.assessing = True

    def assessed(self, event: SideAssessed) -> None:
        self.assessing, self.officer_decision = False, None
        if self.renewing and event.outcome == "reserved":
            self.renewing = 0
        self.status = event.outcome
        self.reasons = event.reasons
        self.missing_documents = event.missing_documents
        if event.number is not None:
            self.number, self.valid_until = event.number, event.valid_until or self.valid_until
        if event.classification is not None:
            self.classification = event.classification

    def issued(self, number: str, valid_until: date) -> None:
        self.status, self.number, self.valid_until = "issued", number, valid_until
        self.issue_requested = False

    def cancelled(self, number: str | None) -> None:
        # A side refused while its cancellation was on the way keeps its refusal reasons.
        if self.status not in ("refused", "revoked"):
            self.status = "cancelled"
        self.assessing, self.renewing, self.issue_requested = False, 0, False
        self.number = number or self.number

    def revoked(self, number: str) -> None:
        self.status, self.number = "revoked", number
        self.assessing, self.renewing, self.issue_requested = False, 0, False

    @property
    def valid(self) -> bool:
        """The permit is issued and stands (neither revoked nor merely reserved)."""
        return self.status == "issued"

    @property
    def holds_something(self) -> bool:
        """Something at the permit service would outlive the case unless cancelled."""
        return (
            self.status in ("reserved", "review", "lapsed", "issued")
            or self.assessing
            or bool(self.renewing)
            or self.issue_requested
        )

    @property
    def settled_after_cancel(self) -> bool:
        """A requested cancellation has been answered (or made moot by a refusal)."""
        return not self.cancel_requested or self.status in SETTLED
