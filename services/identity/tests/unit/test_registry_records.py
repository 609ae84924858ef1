"""The registry's records: versions, corrections, who recorded them and what a certificate
must hold."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from onewindow.identity.domain.person import PassportHolder
from onewindow.identity.domain.registry import (
    CertificateRecord,
    CertificateRecorded,
    EmployerRecord,
    EmployerRecorded,
    Holder,
    InvalidRecord,
    Recorded,
    Recorder,
    WatchlistEntry,
    current,
    record,
)

EMPLOYER = EmployerRecord(
    uscc="91310104MA1FL5KX1N", name="Xuhui Labs", licence_valid_until=date(2031, 1, 1)
)
CARL = Recorder(sub="carl", role="clerk")
CLARA = Recorder(sub="clara", role="clerk")


def certificate(**changes: Any) -> CertificateRecord:
    fields: dict[str, Any] = {
        "certificate_id": "DEG-1",
        "kind": "degree",
        "holder": Holder(nationality="NLD", passport_number="NX4K2P7R1"),
        "issued_on": date(2010, 6, 30),
        "valid_until": None,
        "issuer": "Leiden University",
        "details": {"level": "doctorate"},
    }
    return CertificateRecord.model_validate(fields | changes)


def test_first_version_is_created_by_its_clerk() -> None:
    recording = record(None, EMPLOYER, CARL)
    assert recording.created
    assert recording.events == (EmployerRecorded(employer=EMPLOYER, recorded_by=CARL),)
    assert recording.recorded == Recorded(EMPLOYER, CARL)


def test_the_same_version_again_records_nothing_and_keeps_its_clerk() -> None:
    recording = record(Recorded(EMPLOYER, CARL), EMPLOYER, CLARA)
    assert not recording.created
    assert recording.events == ()
    assert recording.recorded == Recorded(EMPLOYER, CARL)


def test_a_correction_is_a_new_version_by_the_clerk_who_corrected_it() -> None:
    corrected = EMPLOYER.model_copy(update={"name": "Xuhui Labs Ltd"})
    recording = record(Recorded(EMPLOYER, CARL), corrected, CLARA)
    assert not recording.created
    assert recording.events == (EmployerRecorded(employer=corrected, recorded_by=CLARA),)


def test_current_is_the_latest_version_with_its_clerk() -> None:
    corrected = EMPLOYER.model_copy(update={"name": "Xuhui Labs Ltd"})
    history = [
        EmployerRecorded(employer=EMPLOYER, recorded_by=CARL),
        EmployerRecorded(employer=corrected, recorded_by=CLARA),
    ]
    assert current(EmployerRecord, history) == Recorded(corrected, CLARA)
    assert current(EmployerRecord, []) is None


def test_a_version_recorded_before_clerks_were_kept_has_no_clerk() -> None:
    stored_before = EmployerRecorded.model_validate({"employer": EMPLOYER.model_dump()})
    assert current(EmployerRecord, [stored_before]) == Recorded(EMPLOYER, None)


@pytest.mark.parametrize(
    ("rule", "changes", "field"),
    [
        ("degree_needs_a_level", {"details": {}}, "details.level"),
        ("degree_level_is_known", {"details": {"level": "diploma"}}, "details.level"),
        (
            "validity_not_before_issue",
            {"kind": "health", "details": {}, "valid_until": date(2010, 6, 29)},
            "valid_until",
        ),
    ],
)
def test_invalid_certificates_are_refused(rule: str, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecord) as raised:
        record(None, certificate(**changes), CARL)
    assert raised.value.field == field, rule


@pytest.mark.parametrize(
    ("rule", "changes"),
    [
        ("doctorate", {"details": {"level": "doctorate"}}),
        ("master", {"details": {"level": "master"}}),
        ("bachelor", {"details": {"level": "bachelor"}}),
        ("other_kinds_need_no_level", {"kind": "criminal_record", "details": {}}),
        ("valid_on_its_issue_day_only", {"kind": "health", "valid_until": date(2010, 6, 30)}),
    ],
)
def test_valid_certificates_are_recorded(rule: str, changes: dict[str, Any]) -> None:
    recording = record(None, certificate(**changes), CARL)
    recorded = CertificateRecorded(certificate=certificate(**changes), recorded_by=CARL)
    assert recording.events == (recorded,), rule


@pytest.mark.parametrize(
    ("rule", "valid_until", "day", "valid"),
    [
        ("no_expiry_is_always_valid", None, date(2099, 1, 1), True),
        ("valid_before_expiry", date(2027, 1, 31), date(2027, 1, 30), True),
        ("valid_on_the_last_day", date(2027, 1, 31), date(2027, 1, 31), True),
        ("expired_after_the_last_day", date(2027, 1, 31), date(2027, 2, 1), False),
    ],
)
def test_certificate_validity(rule: str, valid_until: date | None, day: date, valid: bool) -> None:
    assert certificate(valid_until=valid_until).is_valid_on(day) is valid, rule


def test_holder_is_compared_as_a_passport() -> None:
    found = certificate(holder=Holder(nationality="nld", passport_number="nx4k2p7r1"))
    assert found.holder == Holder(nationality="NLD", passport_number="NX4K2P7R1")
    assert found.is_held_by(PassportHolder("NLD", "NX4K2P7R1"))
    assert not found.is_held_by(PassportHolder("BEL", "NX4K2P7R1"))


def test_watchlist_entry_names_its_holder() -> None:
    entry = WatchlistEntry(nationality="nld", passport_number="NX4K2P7R1", note="check")
    assert entry.holder() == PassportHolder("NLD", "NX4K2P7R1")
