"""Whose case is it: an applicant sees their own cases (and those its employer
submitted naming its account), an employer its company's.

Officers and operators see every case. Anyone else asking about a case that is
not theirs is told it does not exist (API.md: no existence leak).
"""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.contracts.v1.applications import Actor

STAFF_ROLES = frozenset({"officer", "operator"})


@dataclass(frozen=True)
class CaseOwner:
    """Who may follow and act on a case: the applicant's account (the applicant who
    submitted it, or the account its employer named) and the employer's USCC (always
    named in the form)."""

    application_id: str
    employer_uscc: str
    applicant_sub: str | None = None


def applicant_account(submitted_by: Actor) -> str | None:
    """The applicant account that owns a case `submitted_by` submitted: the applicant
    itself, or the employee's account an employer named (None if it named none)."""
    return submitted_by.sub if submitted_by.role == "applicant" else submitted_by.on_behalf_of


def owner_of_submission(application_id: str, submitted_by: Actor, employer_uscc: str) -> CaseOwner:
    """The owners of a case just submitted by `submitted_by` for `employer_uscc`."""
    return CaseOwner(
        application_id, employer_uscc=employer_uscc, applicant_sub=applicant_account(submitted_by)
    )


def may_see(actor: Actor, owner: CaseOwner) -> bool:
    """Whether `actor` may see (and, by role, act on) the case `owner` describes."""
    if actor.role in STAFF_ROLES:
        return True
    if actor.role == "applicant":
        return owner.applicant_sub == actor.sub
    if actor.role == "employer":
        return actor.uscc is not None and owner.employer_uscc == actor.uscc
    return False


def may_submit_for(actor: Actor, employer_uscc: str) -> bool:
    """An employer submits only for its own company; an applicant for any employer."""
    return actor.role != "employer" or actor.uscc == employer_uscc
