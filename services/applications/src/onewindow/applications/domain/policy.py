"""Policy values of the combined procedure, as versioned data with their sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from onewindow.contracts.v1.common import LegalBasis, ReasonCode


@dataclass(frozen=True, slots=True)
class ProcedurePolicy:
    version: str
    effective_from: date
    source: str
    decision_due_working_days: int
    supplement_response_working_days: int
    appeal_days: int
    appeal_route_en: str
    appeal_route_zh: str


SHANGHAI_SINGLE_WINDOW_2024 = ProcedurePolicy(
    version="shanghai-single-window-2024",
    effective_from=date(2024, 1, 1),
    source=(
        "Shanghai single-window commitment for Category-A talent (decision within 7 working "
        "days of a complete application); PRC Administrative Reconsideration Law Art. 20 "
        "(reconsideration within 60 days). The supplement response period is this "
        "project's default, pending the district's published value."
    ),
    decision_due_working_days=7,
    supplement_response_working_days=20,
    appeal_days=60,
    appeal_route_en=(
        "Administrative reconsideration by the Shanghai Municipal People's Government, "
        "or an administrative lawsuit"
    ),
    appeal_route_zh="向上海市人民政府申请行政复议，或依法提起行政诉讼",
)

POLICIES: tuple[ProcedurePolicy, ...] = (SHANGHAI_SINGLE_WINDOW_2024,)


def policy_on(day: date) -> ProcedurePolicy:
    """The policy in force on `day` (the latest effective on or before it)."""
    in_force = [p for p in POLICIES if p.effective_from <= day]
    if not in_force:
        raise LookupError(f"no procedure policy in force on {day}")
    return max(in_force, key=lambda p: p.effective_from)


# The joint procedure's own rules: the reasons the saga gives itself and its decisions.
# The policy id and articles are this project's identifiers for the one-window procedure
# rules (shared with identity's table and the permits' revocation basis, §9.2), not an
# official numbering; they change here, in one table, when the rules are revised.
JOINT_POLICY: Final = "one-window-2026.1-shanghai"
ARTICLES: Final[Mapping[str, str]] = {
    "approved": "§6.1",  # both permits issued together, in one decision
    "refused": "§6.2",  # either refused: both refused, with every reason
    "withdrawn": "§6.3",  # withdrawn by the applicant before the decision
    "counterpart_refused": "§6.2",
    "withdrawn_by_applicant": "§6.3",
    "no_response": "§5.4",  # no answer to a supplement request within its period
    "permit_revoked": "§9.2",  # a permit revoked because its counterpart could not be issued
    "unverified_applicant": "§2.6",  # a verified applicant goes first; this case to an officer
}


def legal_basis(code: ReasonCode | str) -> LegalBasis:
    """The article a saga reason code or a decision outcome rests on (KeyError: a bug)."""
    return LegalBasis(policy=JOINT_POLICY, article=ARTICLES[code])
