"""The gateway's pure rules: idempotency verdicts, case ownership, ids that survive retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from onewindow.contracts.v1.applications import Actor
from onewindow.gateway.domain.errors import IdempotencyKeyReused, RequestInProgress
from onewindow.gateway.domain.idempotency import (
    Claim,
    Replay,
    StoredResponse,
    TakeOver,
    claim_id,
    fingerprint,
    on_repeat,
    to_millis,
)
from onewindow.gateway.domain.ownership import CaseOwner, may_see, may_submit_for

from .support import NOW, OTHER_USCC, USCC

LEASE = timedelta(seconds=60)
ANSWER = StoredResponse(202, {"id": "a", "status": "submitted"}, "/v1/applications/a")


def claim(**changes: Any) -> Claim:
    fields: dict[str, Any] = {
        "id": claim_id("anna", "k"),
        "caller": "anna",
        "key": "k",
        "fingerprint": "f1",
        "claimed_at": NOW,
        "lease_until": NOW + LEASE,
        **changes,
    }
    return Claim(**fields)


def test_a_repeat_of_a_finished_request_replays_its_answer() -> None:
    verdict = on_repeat(claim(state="done", response=ANSWER), "f1", NOW + LEASE * 10, LEASE)
    assert verdict == Replay(ANSWER)


def test_a_repeat_with_another_request_is_refused_even_when_finished() -> None:
    with pytest.raises(IdempotencyKeyReused):
        on_repeat(claim(state="done", response=ANSWER), "f2", NOW, LEASE)


def test_a_repeat_during_the_lease_must_wait() -> None:
    with pytest.raises(RequestInProgress):
        on_repeat(claim(), "f1", NOW + LEASE - timedelta(milliseconds=1), LEASE)


def test_a_repeat_after_the_lease_takes_over() -> None:
    later = NOW + LEASE
    verdict = on_repeat(claim(), "f1", later, LEASE)
    assert isinstance(verdict, TakeOver)
    assert verdict.new_lease_until == later + LEASE


def test_the_fingerprint_ignores_member_order_but_not_values() -> None:
    a = fingerprint("POST /v1/applications", {"x": 1, "y": {"b": 2, "a": 1}})
    b = fingerprint("POST /v1/applications", {"y": {"a": 1, "b": 2}, "x": 1})
    c = fingerprint("POST /v1/applications", {"y": {"a": 1, "b": 3}, "x": 1})
    d = fingerprint("POST /v1/work-permits/1/extensions", {"y": {"a": 1, "b": 2}, "x": 1})
    assert a == b
    assert len({a, c, d}) == 3


def test_ids_derived_from_a_claim_are_the_same_on_every_retry() -> None:
    first, retry = claim(), claim(claimed_at=NOW + LEASE, lease_until=NOW + 2 * LEASE)
    assert first.origin.derived("application") == retry.origin.derived("application")
    assert first.origin.derived("application") != first.origin.derived("SubmitApplication")
    assert claim_id("anna", "k") != claim_id("bob", "k")


def test_times_are_kept_to_the_millisecond_as_the_database_does() -> None:
    moment = NOW.replace(microsecond=123456)
    assert to_millis(moment).microsecond == 123000


OWNER = CaseOwner("case-1", employer_uscc=USCC, applicant_sub="anna")
WHO_SEES = [
    ("the_applicant", Actor(sub="anna", role="applicant"), True),
    ("another_applicant", Actor(sub="bob", role="applicant"), False),
    ("the_employer", Actor(sub="hr", role="employer", uscc=USCC), True),
    ("another_employer", Actor(sub="hr", role="employer", uscc=OTHER_USCC), False),
    ("an_officer", Actor(sub="olga", role="officer"), True),
    ("an_operator", Actor(sub="oscar", role="operator"), True),
    ("a_clerk", Actor(sub="carl", role="clerk"), False),
]


@pytest.mark.parametrize(("who", "actor", "sees"), WHO_SEES, ids=[w[0] for w in WHO_SEES])
def test_a_case_is_seen_by_its_owners_and_staff_only(who: str, actor: Actor, sees: bool) -> None:
    assert may_see(actor, OWNER) is sees


def test_an_employer_submits_only_for_its_own_company() -> None:
    assert may_submit_for(Actor(sub="hr", role="employer", uscc=USCC), USCC)
    assert not may_submit_for(Actor(sub="hr", role="employer", uscc=USCC), OTHER_USCC)
    assert may_submit_for(Actor(sub="anna", role="applicant"), OTHER_USCC)
