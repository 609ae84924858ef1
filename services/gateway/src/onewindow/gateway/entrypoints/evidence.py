"""`GET /v1/applications/{id}/evidence` (officers, operators): what the registry holds for
the case's applicant and employer beside what the application cited, so an officer sees
the evidence side by side with the case (its points, flags and uploads to verify are in
the case view). The registry is read now, through identity, as the officer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.adapters.identity import IdentityRegistry
from onewindow.gateway.application.gateway import Gateway
from onewindow.gateway.entrypoints.dependencies import gateway, identity_registry, require_roles
from onewindow.runtime.problems import ProblemError, responses

evidence = APIRouter(prefix="/v1/applications", tags=["officers"])
Staff = Annotated[Actor, Depends(require_roles("officer", "operator"))]
Registry = Annotated[IdentityRegistry, Depends(identity_registry)]
Uses = Annotated[Gateway, Depends(gateway)]


@evidence.get(
    "/{application_id}/evidence",
    summary="The registry's records for a case, beside what it cited",
    responses=responses(401, 403, 404, 503),
)
async def case_evidence(
    application_id: Annotated[str, Path(max_length=64)],
    officer: Staff,
    registry: Registry,
    uses: Uses,
) -> dict[str, Any]:
    """`holder` (the passport named), `cited` (the documents as the application cited
    them), and the registry's `certificates` for that passport, the `employer` and any
    `watchlist` entry, as they stand now."""
    owners = uses.owners
    owner = await owners.of_case(application_id)
    facts = await owners.evidence_of(application_id)
    if owner is None or facts is None:
        raise ProblemError(404, "not-found", f"No evidence of application {application_id}.")
    holder = facts["holder"]
    nationality, number = str(holder["nationality"]), str(holder["passport_number"])
    certificates = await registry.get(
        "certificates", officer, params={"nationality": nationality, "passport_number": number}
    )
    employer = await registry.get(f"employers/{owner.employer_uscc}", officer)
    watchlist = await registry.get(f"watchlist/{nationality}/{number}", officer)
    return {
        "application_id": application_id,
        "holder": holder,
        "cited": facts["cited"],
        "certificates": (certificates.body or {}).get("items", [])
        if certificates.status == 200
        else [],
        "employer": employer.body if employer.status == 200 else None,
        "watchlist": watchlist.body if watchlist.status == 200 else None,
    }
