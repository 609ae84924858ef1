"""The answer of `POST /v1/prechecks` (API.md v1.1), as OpenAPI describes it.

API.md names `category`, `points`, `eligible`, `registry_documents`, `missing`, `reasons`
and `earliest_decision_on`; the rest is added for front ends: the registry's employer,
the reasons that would send the case to an officer or ask for documents (`review`), what
a submission would meet first (`outcome`), and each permit service's answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Factor(_Out):
    factor: str = Field(examples=["annual_salary"])
    value: str = Field(description="The value that scored, as the work permit read it.")
    points: int


class Points(_Out):
    total: int
    factors: list[Factor]
    direct_criterion: Literal["talent_recognition", "salary"] | None = None
    policy_version: str = ""


class RegistryDocument(_Out):
    kind: str
    registry_id: str
    valid_until: str | None
    issued_on: str | None = None
    issuer: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    in_force: bool = Field(description="Valid today (Shanghai).")
    cited: bool = Field(description="Cited by this body.")


class Missing(_Out):
    kind: str = Field(
        description="A document kind, `employment_contract` or `registration_number`."
    )
    why: str
    code: str
    message_en: str | None = None
    message_zh: str | None = None
    on_file: str | None = Field(
        default=None,
        description="A registry id of this kind in force that the body does not cite yet: "
        "citing it answers the request, nothing to upload.",
    )


class ReasonOut(_Out):
    code: str
    side: str
    message_en: str
    message_zh: str
    legal_basis: dict[str, str] | None = None


class PermitAnswer(_Out):
    outcome: Literal["reserved", "refused", "review_required"]
    valid_until: str | None = None


class Precheck(_Out):
    """What a submission of this body would meet today; nothing was stored."""

    category: Literal["A", "B", "C"]
    points: Points
    eligible: bool = Field(description="The category may use the one-window service.")
    registry_documents: list[RegistryDocument]
    employer: dict[str, Any] | None = Field(description="The employer as the registry holds it.")
    missing: list[Missing]
    reasons: list[ReasonOut] = Field(description="Every reason a submission would be refused for.")
    review: list[ReasonOut] = Field(
        description="Reasons that would ask the applicant for documents or send it to an officer."
    )
    outcome: Literal["fast_track", "documents_requested", "officer_review", "refused"]
    work_permit: PermitAnswer
    residence_permit: PermitAnswer
    earliest_decision_on: str = Field(
        description="The day the decision would be due if submitted now (7 working days, "
        "Shanghai calendar)."
    )
