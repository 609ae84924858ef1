"""Who the fuzzer calls as: a valid development token of every role, and callers without one.

Tokens are signed as `onewindow token` signs them (`onewindow.cli.seeding.auth`: the
development key and audience the gateway of a development stack accepts). Each run has
accounts of its own, so its cases are nobody else's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt

from onewindow.cli.seeding import auth, new_uscc

# The roles API.md names.
ROLES = ("applicant", "employer", "clerk", "officer", "operator")
# Callers the gateway must answer 401: no token, and a token signed with another key.
NOBODY = "anonymous"
FORGED = "forged"
CALLERS = (*ROLES, NOBODY, FORGED)


@dataclass(frozen=True)
class Callers:
    """The Authorization header of each caller of one run."""

    headers: dict[str, dict[str, str]]
    subs: dict[str, str]

    def __getitem__(self, caller: str) -> dict[str, str]:
        return self.headers[caller]


def mint(ttl: timedelta = timedelta(hours=6)) -> Callers:
    """Fresh accounts of every role (an employer with a fresh USCC), and the two callers
    without a valid token."""
    run = uuid.uuid4().hex[:6]
    subs = {role: f"fuzz-{role}-{run}" for role in ROLES}
    headers = {
        role: auth(role, subs[role], new_uscc() if role == "employer" else None, ttl=ttl)
        for role in ROLES
    }
    headers[NOBODY] = {}
    forged = jwt.encode(
        {"sub": subs["officer"], "role": "officer", "aud": "onewindow"},
        "not-the-gateway-key-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    headers[FORGED] = {"Authorization": f"Bearer {forged}"}
    return Callers(headers=headers, subs=subs)


def acting_role(method: str, path: str) -> str:
    """The role that may do what an operation does (API.md), which the fuzzer calls it as
    most often and in stateful sequences: clerks keep the registry, officers review and
    read a case's evidence, operators read the operations console; applicants do the rest.
    """
    if path.startswith("/v1/registry"):
        return "clerk"
    if path.startswith("/ops"):
        return "operator"
    if path.endswith(("/reviews", "/evidence")) or path.startswith("/v1/people"):
        return "officer"
    return "applicant"
