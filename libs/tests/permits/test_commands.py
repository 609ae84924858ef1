"""Each command of a permit's vocabulary goes to the use case named for it."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.permits.service import MissingUseCase, PermitKind, PermitService, use_cases
from onewindow.runtime.clock import ManualClock

from .support import (
    NOW,
    PARKING_EVENTS,
    PARKING_PERMIT,
    POLICIES,
    AssessParkingPermit,
    CancelParkingPermitReservation,
    ExtendParkingPermit,
    ParkingPermit,
    ParkingPermitCommand,
    ParkingPermitEvent,
    ParkingPermits,
    ParkingPolicy,
    RecordParkingPermitOfficerDecision,
    RenewParkingPermitReservation,
    told,
)


def wired(service: type[PermitService[ParkingPermit, ParkingPolicy]]) -> Any:
    # Routing reads names only: no port is used.
    return service(None, None, None, POLICIES, ManualClock(NOW))  # type: ignore[arg-type]


def test_every_command_goes_to_the_use_case_of_its_name() -> None:
    permits = wired(ParkingPermits)
    assert use_cases(permits) == {
        AssessParkingPermit: permits.assess,
        CancelParkingPermitReservation: permits.cancel_reservation,
        RenewParkingPermitReservation: permits.renew_reservation,
        RecordParkingPermitOfficerDecision: permits.record_officer_decision,
        ExtendParkingPermit: permits.extend,
    }


def test_a_command_without_a_use_case_stops_the_service_from_starting() -> None:
    class WithoutExtension(PermitService[ParkingPermit, ParkingPolicy]):
        kind = PARKING_PERMIT
        assessment = ParkingPermits.assessment

    with pytest.raises(MissingUseCase, match=r"ExtendParkingPermit needs WithoutExtension\.extend"):
        use_cases(wired(WithoutExtension))


def test_the_assessment_command_is_the_vocabularys_assess_command() -> None:
    assert PARKING_PERMIT.assessment is AssessParkingPermit


class TowingPermitCommand(ParkingPermitCommand):
    """A vocabulary that forgot its assessment: this module has no `AssessTowingPermit`."""


def test_a_vocabulary_without_its_assessment_command_is_refused_by_name() -> None:
    towing = PermitKind(
        ParkingPermit, PARKING_EVENTS, TowingPermitCommand, ParkingPermitEvent, told
    )
    with pytest.raises(LookupError, match=r"test_commands has no AssessTowingPermit"):
        _ = towing.assessment
