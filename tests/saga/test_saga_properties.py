"""The saga under random interleavings (hypothesis's rule-based state machine): answers in
any order across services, redeliveries, lapses, withdrawals, officer decisions, supplied
documents and timers firing. After every step: an open case always has a due timer, and a
case waiting on a service always has a command out; a decided case never leaves exactly
one valid permit. At the end every case is decided, its claim released once, and its
decision announced once."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from onewindow.applications.domain.case import FINAL_STATUSES

from .harness import City

CHANNELS = st.sampled_from(["identity", "work", "residence", "saga"])
OUTCOMES = st.sampled_from(["reserve", "reserve", "refuse", "documents", "officer"])
WAITS_ON_A_SERVICE = {"verifying_identity", "assessing", "issuing", "compensating"}


class SagaMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.city = City()
        self.city.submit()

    @rule(work=OUTCOMES, residence=OUTCOMES)
    def services_will_answer(self, work: str, residence: str) -> None:
        self.city.outcomes["work"].append(work)  # type: ignore[arg-type]
        self.city.outcomes["residence"].append(residence)  # type: ignore[arg-type]

    @rule(channels=st.lists(CHANNELS, min_size=1, max_size=12))
    def deliver(self, channels: list[Literal["identity", "work", "residence", "saga"]]) -> None:
        """A burst of deliveries, in an order the channels allow (each one in order)."""
        for channel in channels:
            self.city.deliver(channel)

    @rule(channel=CHANNELS)
    def redeliver(self, channel: Literal["identity", "work", "residence", "saga"]) -> None:
        self.city.deliver(channel, again=True)

    @rule(hours=st.sampled_from([1, 2, 25, 24 * 4, 24 * 31]))
    def time_passes(self, hours: int) -> None:
        self.city.advance(timedelta(hours=hours))

    @precondition(lambda self: self.city.case.is_open and not self.city.case.compensating)
    @rule()
    def applicant_withdraws(self) -> None:
        self.city.withdraw()

    @precondition(lambda self: self.city.case.status == "awaiting_documents")
    @rule()
    def applicant_supplies(self) -> None:
        self.city.supply()

    @precondition(lambda self: self.city.case.status == "awaiting_officer")
    @rule(
        side=st.sampled_from(["work", "residence"]), decision=st.sampled_from(["approve", "refuse"])
    )
    def officer_decides(
        self, side: Literal["work", "residence"], decision: Literal["approve", "refuse"]
    ) -> None:
        self.city.officer(side, decision)

    @invariant()
    def an_open_case_has_a_due_timer_and_a_command_out(self) -> None:
        case = self.city.case
        if case.is_open:
            assert case.next_timer(self.city.calendar) is not None
            if case.status in WAITS_ON_A_SERVICE:
                assert case.outstanding(), case.status

    @invariant()
    def a_decided_case_never_leaves_one_permit_alone(self) -> None:
        if self.city.case.status in FINAL_STATUSES:
            assert self.city.valid_permits != 1
        if self.city.case.status == "approved":
            assert self.city.valid_permits == 2

    def teardown(self) -> None:
        city = self.city
        city.settle()
        assert city.case.status in FINAL_STATUSES
        city.run()
        assert city.valid_permits == (2 if city.case.status == "approved" else 0)
        assert city.claims_released == 1
        assert len(city.decisions()) == 1


SagaMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_the_saga_never_strands_a_case = SagaMachine.TestCase
