"""One side of the joint decision (the work or the residence permit) as the saga sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from onewindow.applications.domain.events import SideAssessed
from onewindow.contracts.v1.common import Classification, Reason

SideStatus = Literal["pending", "reserved", "issued", "refused", "cancelled", "review"]


@dataclass
class Side:
    status: SideStatus = "pending"
    assessing: bool = False
    cancel_requested: bool = False
    number: str | None = None
    valid_until: date | None = None
    reasons: tuple[Reason, ...] = ()
    missing_documents: tuple[str, ...] = ()
    classification: Classification | None = None

    def request_assessment(self) -> None:
        self.assessing = True

    def assessed(self, event: SideAssessed) -> None:
        self.assessing = False
        self.status = event.outcome
        self.reasons = event.reasons
        self.missing_documents = event.missing_documents
        if event.number is not None:
            self.number, self.valid_until = event.number, event.valid_until
        if event.classification is not None:
            self.classification = event.classification

    def issued(self, number: str, valid_until: date) -> None:
        self.status, self.number, self.valid_until = "issued", number, valid_until

    def cancelled(self, number: str | None) -> None:
        # A side refused while its cancellation was on the way keeps its refusal reasons.
        if self.status != "refused":
            self.status = "cancelled"
        self.assessing = False
        self.number = number or self.number

    @property
    def settled_after_cancel(self) -> bool:
        """A requested cancellation has been answered (or made moot by a refusal)."""
        return not self.cancel_requested or self.status in ("cancelled", "refused")
