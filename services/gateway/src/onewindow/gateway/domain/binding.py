"""Applicant binding (DOMAIN.md "Evidence"): whose case a submission makes, for which passport.

- An employer that submits for an employee may name the employee's account
  (`applicant.account`); that account then owns the case as if it had submitted it.
  An applicant's application is its own: it may name no account but itself.
- An applicant whose token carries a verified passport (`passport` claim,
  `NAT:NUMBER`, set by the identity provider after real-name verification) may
  submit only for that passport.

Whether a verified applicant's case may displace another open case is identity's
decision; the gateway only carries the verified passport on the submitting `Actor`.
"""

from __future__ import annotations

from onewindow.contracts.v1.applications import Actor
from onewindow.contracts.v1.common import ApplicationForm
from onewindow.gateway.domain.errors import AccountNotYours, PassportNotYours
from onewindow.ops.tokens import parse_passport_claim, passport_claim

# The claim's form (`passport_claim`, `parse_passport_claim`) is shared with whoever
# signs tokens (`onewindow token`), so it lives in `onewindow.ops.tokens`.
__all__ = ["check_passport", "parse_passport_claim", "passport_claim", "submitter"]


def submitter(actor: Actor, account: str | None) -> Actor:
    """The submitting actor, with the applicant account an employer names for its employee.

    Raises `AccountNotYours` when anyone but an employer names an account other than
    its own.
    """
    if account is None or (actor.role != "employer" and account == actor.sub):
        return actor
    if actor.role != "employer":
        raise AccountNotYours(account)
    return actor.model_copy(update={"on_behalf_of": account})


def check_passport(actor: Actor, form: ApplicationForm) -> None:
    """A verified applicant submits only for the passport it was verified for.

    Raises `PassportNotYours` otherwise; an account without the claim may submit for
    any passport (identity never lets its case block a verified holder's).
    """
    if actor.passport is None:
        return
    applicant = form.applicant
    if passport_claim(applicant.nationality, applicant.passport.number) != actor.passport:
        raise PassportNotYours()
