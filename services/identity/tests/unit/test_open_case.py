"""One open case per person and employer: the claim and its release."""

from __future__ import annotations

import pytest

from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.open_case import (
    CaseAlreadyOpen,
    CaseClaimed,
    CaseReleased,
    OpenCase,
)


def test_a_free_claim_is_taken() -> None:
    assert OpenCase().claim("A-1") == [CaseClaimed(application_id="A-1")]


def test_claiming_again_for_the_same_case_records_nothing() -> None:
    assert OpenCase("A-1").claim("A-1") == []


def test_a_second_case_cannot_claim_and_learns_the_first() -> None:
    with pytest.raises(CaseAlreadyOpen) as raised:
        OpenCase("A-1").claim("A-2")
    assert raised.value.open_application_id == "A-1"


@pytest.mark.parametrize(
    ("rule", "history", "holder"),
    [
        ("nothing_recorded_nothing_open", [], None),
        ("claimed_is_open", [CaseClaimed(application_id="A-1")], "A-1"),
        (
            "released_is_free",
            [CaseClaimed(application_id="A-1"), CaseReleased(application_id="A-1")],
            None,
        ),
        (
            "reclaimed_after_release_by_another",
            [
                CaseClaimed(application_id="A-1"),
                CaseReleased(application_id="A-1"),
                CaseClaimed(application_id="A-3"),
            ],
            "A-3",
        ),
        (
            "release_by_a_case_that_does_not_hold_it_changes_nothing",
            [CaseClaimed(application_id="A-1"), CaseReleased(application_id="A-2")],
            "A-1",
        ),
    ],
)
def test_history_says_which_case_is_open(
    rule: str, history: list[DomainEvent], holder: str | None
) -> None:
    assert OpenCase.replay(history).holder == holder, rule


@pytest.mark.parametrize(
    ("rule", "holder", "releasing", "events"),
    [
        ("holder_releases", "A-1", "A-1", [CaseReleased(application_id="A-1")]),
        ("another_case_cannot_release", "A-1", "A-2", []),
        ("nothing_to_release", None, "A-1", []),
    ],
)
def test_release(rule: str, holder: str | None, releasing: str, events: list[DomainEvent]) -> None:
    assert OpenCase(holder).release(releasing) == events, rule
