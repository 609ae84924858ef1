"""The aggregate convention: a decision records each event as it decides it, so the rest of
the decision already sees it applied, and hands back what it recorded."""

from __future__ import annotations

from pydantic import BaseModel

from onewindow.runtime.aggregate import Aggregate, Recorded


class AccountEvent(BaseModel):
    amount: int


class Deposited(AccountEvent):
    pass


class Withdrawn(AccountEvent):
    pass


class Notify(BaseModel):
    balance: int


class Account(Aggregate[AccountEvent]):
    def __init__(self) -> None:
        self.balance = 0

    @classmethod
    def replay(cls, history: list[AccountEvent]) -> Account:
        account = cls()
        for event in history:
            account.apply(event)
        return account

    def apply(self, event: AccountEvent) -> None:
        match event:
            case Deposited():
                self.balance += event.amount
            case Withdrawn():
                self.balance -= event.amount

    def deposit(self, amount: int) -> list[AccountEvent]:
        return self.record(Deposited(amount=amount))

    def settle(self, payments: list[int]) -> Recorded[AccountEvent, Notify]:
        """Pay each amount while the balance allows it; say what is left."""
        step: Recorded[AccountEvent, Notify] = Recorded()
        for amount in payments:
            if amount <= self.balance:  # sees the payments recorded before it
                self.record(Withdrawn(amount=amount), into=step)
        step.send.append((Notify(balance=self.balance), "settled"))
        return step


def test_recording_applies_the_event_at_once_and_returns_it() -> None:
    account = Account()
    assert account.deposit(10) == [Deposited(amount=10)]
    assert account.balance == 10


def test_recording_several_events_applies_them_in_order() -> None:
    account = Account()
    recorded = account.record(Deposited(amount=5), Withdrawn(amount=3))
    assert recorded == [Deposited(amount=5), Withdrawn(amount=3)]
    assert account.balance == 2


def test_a_decision_sees_what_it_recorded_so_far_and_keeps_it_for_the_commit() -> None:
    account = Account.replay([Deposited(amount=10)])
    step = account.settle([6, 6, 4])
    assert step.events == [Withdrawn(amount=6), Withdrawn(amount=4)]
    assert step.send == [(Notify(balance=0), "settled")]
    assert account.balance == 0


def test_the_aggregate_a_decision_leaves_is_the_one_its_events_replay_to() -> None:
    history: list[AccountEvent] = [Deposited(amount=10)]
    account = Account.replay(history)
    step = account.settle([3, 20])
    assert Account.replay(history + step.events).balance == account.balance == 7
