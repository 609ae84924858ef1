"""How operators' tools read a record: decoded, summarised, personal data redacted."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from aiokafka.partitioner import DefaultPartitioner

from onewindow.contracts.envelope import build_headers, new_envelope
from onewindow.contracts.v1 import work_permit as wp
from onewindow.contracts.v1.applications import Actor, SubmitApplication
from onewindow.contracts.v1.common import ApplicationForm, Classification
from onewindow.ops.deadletters import DeadLetterId
from onewindow.ops.decoding import REDACTED, decode, matches, redact, summarise
from onewindow.ops.reading import partition_of
from onewindow.ops.redaction import INVALID, UNDECLARED

PREFIX = "t1."
FORM: dict[str, Any] = {
    "applicant": {
        "surname": "DE JONG",
        "given_names": "ANNA",
        "sex": "F",
        "date_of_birth": "1984-08-12",
        "nationality": "NLD",
        "passport": {"number": "NX4K2P7R1", "expires_on": "2033-10-31"},
        "email": "anna@example.org",
        "phone": "+8613800000000",
    },
    "employer": {"uscc": "91310104MA1FL5KX1N", "contact_email": "hr@example.com"},
    "position": {
        "title": "Chief Scientist",
        "annual_salary_cny": 900000,
        "contract_start": "2027-01-04",
        "contract_end": "2030-01-03",
        "months_in_china_per_year": 12,
    },
    "qualifications": {"education": "doctorate", "experience_years": 15},
    "residence": {"address": "188 Caoxi Road", "registration_number": "XH-1"},
}


def record(value: bytes, headers: list[tuple[str, bytes]], topic: str = "x") -> Any:
    return ConsumerRecord(
        topic=PREFIX + topic,
        partition=2,
        offset=7,
        timestamp=1_780_000_000_000,
        timestamp_type=0,
        key=b"case-1",
        value=value,
        checksum=None,
        serialized_key_size=6,
        serialized_value_size=len(value),
        headers=headers,
    )


def submitted() -> tuple[SubmitApplication, Any]:
    command = SubmitApplication(
        application_id="case-1",
        submitted_by=Actor(sub="anna", role="applicant"),
        submitted_at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC),
        form=ApplicationForm.model_validate(FORM),
    )
    envelope = new_envelope(command.TYPE, source="onewindow/gateway", correlation_id="case-1")
    raw = record(
        command.model_dump_json().encode(), build_headers(envelope), "applications.commands"
    )
    return command, raw


def test_every_personal_field_of_an_application_is_redacted_and_nothing_else() -> None:
    shown = redact(FORM)

    applicant = shown["applicant"]
    assert applicant["surname"] == applicant["given_names"] == REDACTED
    assert applicant["date_of_birth"] == applicant["email"] == applicant["phone"] == REDACTED
    assert applicant["passport"] == {"number": REDACTED, "expires_on": "2033-10-31"}
    assert shown["residence"] == {"address": REDACTED, "registration_number": REDACTED}
    assert shown["employer"]["contact_email"] == REDACTED
    assert applicant["nationality"] == "NLD"
    assert shown["position"] == FORM["position"]
    assert "DE JONG" not in json.dumps(shown)


def test_a_record_is_decoded_with_its_envelope_and_prefix_free_topic() -> None:
    command, raw = submitted()

    message = decode(raw, topic_prefix=PREFIX)

    assert message.ce_type == command.TYPE
    assert (message.key, message.correlation_id, message.causation_id) == ("case-1", "case-1", None)
    assert (message.topic_name, message.partition, message.offset) == (
        "applications.commands",
        2,
        7,
    )
    assert (message.context, message.kind, message.colour) == ("applications", "command", "cyan")
    assert message.problem is None
    assert message.as_json()["data"]["form"]["applicant"]["surname"] == REDACTED
    assert message.as_json(show_personal_data=True)["data"]["form"]["applicant"]["surname"] == (
        "DE JONG"
    )


def test_a_record_that_breaks_its_contract_says_why_instead_of_failing() -> None:
    _, raw = submitted()
    broken = record(b'{"application_id": 5}', list(raw.headers))
    headerless = record(b"not json", [])

    assert "does not match the contract" in str(decode(broken).problem)
    unreadable = decode(headerless)
    assert unreadable.ce_type == "?"
    assert "envelope" in str(unreadable.problem)
    assert "[unreadable:" in unreadable.summary()


def test_what_the_contract_refuses_or_does_not_declare_is_withheld_not_shown() -> None:
    # A dead letter: a name typed into the salary and the date of birth, a passport number
    # where an object belongs, a note the contract does not know.
    _, raw = submitted()
    payload = json.loads(raw.value)
    form = payload["form"]
    form["position"]["annual_salary_cny"] = "DE JONG, 900k"
    form["applicant"]["passport"] = "NX4K2P7R1"
    form["applicant"]["nationality"] = {"of": "ANNA DE JONG"}
    form["documents"] = [{"kind": "degree", "registry_id": "d-1", "by": "anna@example.org"}]
    payload["remarks"] = "born 1984-08-12"
    broken = record(json.dumps(payload).encode(), list(raw.headers))

    message = decode(broken)
    shown = message.as_json()

    assert message.problem == (
        "does not match the contract: 3 validation errors for SubmitApplication: "
        "form.applicant.nationality: string_type; form.applicant.passport: model_type; "
        "form.position.annual_salary_cny: int_parsing"
    )
    applicant, position = shown["data"]["form"]["applicant"], shown["data"]["form"]["position"]
    assert position["annual_salary_cny"] == applicant["passport"] == INVALID
    assert applicant["nationality"] == INVALID
    assert applicant["surname"] == REDACTED
    assert shown["data"]["remarks"] == UNDECLARED
    assert shown["data"]["form"]["documents"] == [
        {"kind": "degree", "registry_id": "d-1", "by": UNDECLARED}
    ]
    assert position["title"] == "Chief Scientist"  # what the contract vouches for stays
    for value in ("DE JONG", "ANNA", "NX4K2P7R1", "1984-08-12", "anna@example.org"):
        assert value not in json.dumps(shown) + message.summary()
    assert message.visible_data(show_personal_data=True) == payload  # asked for, and audited


def test_a_payload_that_is_not_json_or_of_no_known_type_is_withheld_whole() -> None:
    _, raw = submitted()
    garbled = record(b"\xff DE JONG NX4K2P7R1 {", list(raw.headers))
    envelope = new_envelope("onewindow.applications.Unheard.v1", source="x", correlation_id="c")
    unknown = record(b'{"surname_of": "DE JONG"}', build_headers(envelope))

    not_json, of_no_type = decode(garbled), decode(unknown)

    assert not_json.as_json()["data"] == "[withheld: 21 characters that are not JSON]"
    assert of_no_type.as_json()["data"] == "[withheld: no contract names this type]"
    for message in (not_json, of_no_type):
        assert "DE JONG" not in json.dumps(message.as_json()) + message.summary()


def test_a_summary_names_what_an_operator_looks_for() -> None:
    reserved = wp.WorkPermitReserved(
        application_id="case-1",
        permit_number="WP-2026-000001",
        valid_until=date(2029, 1, 3),
        classification=Classification(category="A", points=90),
        reserved_until=datetime(2026, 7, 1, tzinfo=UTC),
    )
    refused = {"reasons": [{"code": "health_certificate_too_old"}], "status": "refused"}

    assert summarise(reserved.TYPE, reserved.model_dump(mode="json")) == (
        "WorkPermitReserved: permit_number=WP-2026-000001; valid_until=2029-01-03; "
        "reserved_until=2026-07-01T00:00:00Z"
    )
    assert summarise("onewindow.applications.X.v1", refused) == (
        "X: status=refused; reasons=health_certificate_too_old"
    )


@pytest.mark.parametrize(
    ("case", "type_glob", "expected"),
    [
        ("case-1", None, True),
        ("case-2", None, False),
        (None, "onewindow.applications.*", True),
        (None, "submitapplication", True),
        (None, "onewindow.identity.*", False),
    ],
)
def test_the_console_filters_by_case_and_type(
    case: str | None, type_glob: str | None, expected: bool
) -> None:
    _, raw = submitted()
    assert matches(decode(raw), case, type_glob) is expected


def test_a_dead_letter_id_names_topic_partition_and_offset() -> None:
    found = DeadLetterId.parse("t1.identity.commands.dlq/3/12", topic_prefix=PREFIX)

    assert found == DeadLetterId("identity.commands.dlq", 3, 12)
    assert str(found) == "identity.commands.dlq/3/12"
    with pytest.raises(ValueError, match="not a dead-letter topic"):
        DeadLetterId.parse("identity.commands/3/12")
    with pytest.raises(ValueError, match="not a dead letter id"):
        DeadLetterId.parse("identity.commands.dlq/three/12")


def test_a_key_is_looked_for_on_the_partition_the_producers_write_it_to() -> None:
    producers = DefaultPartitioner()
    partitions = list(range(6))
    for i in range(200):
        key = f"case-{i}"
        assert partition_of(key, 6) == producers(key.encode(), partitions, partitions)
