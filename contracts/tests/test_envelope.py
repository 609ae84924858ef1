"""The envelope against the CloudEvents 1.0 Kafka protocol binding, binary content mode.

Rules checked (CloudEvents Kafka Protocol Binding 1.0, section 3.2): every context
attribute travels as a header named `ce_<attribute>` in lower case; `datacontenttype`
travels as `content-type`; values are UTF-8 strings; `id`, `source`, `type` and
`specversion` ("1.0") are required; absent optional attributes have no header.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.contracts.envelope import (
    Envelope,
    InvalidEnvelope,
    build_headers,
    deterministic_id,
    new_envelope,
    parse_headers,
)

TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
MOMENT = datetime(2026, 10, 1, 8, 30, 15, 123456, tzinfo=UTC)


def full_envelope() -> Envelope:
    return Envelope(
        id="4b1f6c1e-2f49-4c8e-9d1a-6f0e2b8f6a11",
        source="onewindow/applications",
        type="onewindow.work-permit.AssessWorkPermit.v1",
        time=MOMENT,
        correlation_id="app-2026-0001",
        causation_id="9a0c1d2e-0000-4000-8000-000000000001",
        subject="app-2026-0001",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )


def test_every_attribute_travels_as_a_ce_header_with_content_type_for_datacontenttype() -> None:
    headers = dict(build_headers(full_envelope()))

    assert headers == {
        "ce_id": b"4b1f6c1e-2f49-4c8e-9d1a-6f0e2b8f6a11",
        "ce_source": b"onewindow/applications",
        "ce_type": b"onewindow.work-permit.AssessWorkPermit.v1",
        "ce_specversion": b"1.0",
        "ce_time": b"2026-10-01T08:30:15.123456Z",
        "ce_subject": b"app-2026-0001",
        "ce_correlationid": b"app-2026-0001",
        "ce_causationid": b"9a0c1d2e-0000-4000-8000-000000000001",
        "content-type": b"application/json",
        "traceparent": b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    assert "ce_datacontenttype" not in headers


def test_absent_optional_attributes_have_no_header() -> None:
    envelope = Envelope(
        id="1", source="s", type="t", time=MOMENT, correlation_id="app-1", content_type="x/y"
    )

    names = [name for name, _ in build_headers(envelope)]

    assert names == [
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_specversion",
        "ce_time",
        "ce_correlationid",
        "content-type",
    ]


def test_header_names_are_lower_case_and_values_utf8_bytes() -> None:
    envelope = Envelope(
        id="1", source="onewindow/上海", type="t", time=MOMENT, correlation_id="申请-7"
    )

    headers = build_headers(envelope)

    assert all(name == name.lower() for name, _ in headers)
    assert all(isinstance(value, bytes) for _, value in headers)
    assert dict(headers)["ce_source"] == "onewindow/上海".encode()
    assert parse_headers(headers) == envelope


def test_headers_round_trip_as_bytes_as_strings_and_as_a_mapping() -> None:
    envelope = full_envelope()
    as_bytes = build_headers(envelope)
    as_text = [(name, value.decode()) for name, value in as_bytes]

    assert parse_headers(as_bytes) == envelope
    assert parse_headers(as_text) == envelope
    assert parse_headers(dict(as_bytes)) == envelope


text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)


@given(
    id=text,
    source=text,
    type=text,
    subject=st.none() | text,
    correlation=text,
    causation=st.none() | text,
    time=st.datetimes(
        min_value=datetime(1970, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
    ),
)
def test_any_envelope_survives_the_round_trip(
    id: str,
    source: str,
    type: str,
    subject: str | None,
    correlation: str,
    causation: str | None,
    time: datetime,
) -> None:
    envelope = Envelope(
        id=id,
        source=source,
        type=type,
        time=time,
        correlation_id=correlation,
        causation_id=causation,
        subject=subject,
    )

    assert parse_headers(build_headers(envelope)) == envelope


@pytest.mark.parametrize(
    "missing",
    ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_correlationid"],
)
def test_a_missing_required_attribute_is_named(missing: str) -> None:
    headers = [(n, v) for n, v in build_headers(full_envelope()) if n != missing]

    with pytest.raises(InvalidEnvelope, match=missing) as raised:
        parse_headers(headers)

    assert raised.value.attribute == missing


def test_an_empty_required_attribute_is_missing() -> None:
    headers = dict(build_headers(full_envelope())) | {"ce_source": b""}

    with pytest.raises(InvalidEnvelope, match="ce_source"):
        parse_headers(headers)


def test_only_specversion_1_0_is_accepted() -> None:
    headers = dict(build_headers(full_envelope())) | {"ce_specversion": b"0.3"}

    with pytest.raises(InvalidEnvelope, match="ce_specversion"):
        parse_headers(headers)


def test_a_value_that_is_not_utf8_is_named() -> None:
    headers = dict(build_headers(full_envelope())) | {"ce_type": b"\xff\xfe"}

    with pytest.raises(InvalidEnvelope, match="ce_type"):
        parse_headers(headers)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2026-10-01T16:30:15+08:00", datetime(2026, 10, 1, 8, 30, 15, tzinfo=UTC)),
        ("2026-10-01t08:30:15z", datetime(2026, 10, 1, 8, 30, 15, tzinfo=UTC)),
        ("2026-10-01T08:30:15.123456789Z", datetime(2026, 10, 1, 8, 30, 15, 123456, tzinfo=UTC)),
    ],
)
def test_time_is_read_as_rfc3339_in_utc(written: str, meant: datetime) -> None:
    headers = dict(build_headers(full_envelope())) | {"ce_time": written.encode()}

    assert parse_headers(headers).time == meant


@pytest.mark.parametrize("written", ["2026-10-01T08:30:15", "2026-10-01", "yesterday"])
def test_a_time_without_offset_or_not_rfc3339_is_refused(written: str) -> None:
    headers = dict(build_headers(full_envelope())) | {"ce_time": written.encode()}

    with pytest.raises(InvalidEnvelope, match="ce_time"):
        parse_headers(headers)


def test_an_invalid_traceparent_is_dropped_not_fatal() -> None:
    headers = dict(build_headers(full_envelope())) | {"traceparent": b"00-zz-bad-01"}

    assert parse_headers(headers).traceparent is None


def test_a_naive_time_cannot_make_an_envelope() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Envelope(id="1", source="s", type="t", time=datetime(2026, 1, 1), correlation_id="c")


def test_a_caused_message_names_its_cause_and_continues_its_trace() -> None:
    cause = full_envelope()

    effect = new_envelope(
        "onewindow.work-permit.WorkPermitReserved.v1",
        source="onewindow/work-permit",
        correlation_id=cause.correlation_id,
        cause=cause,
        time=MOMENT,
    )

    assert effect.causation_id == cause.id
    assert effect.traceparent is not None
    assert TRACEPARENT.fullmatch(effect.traceparent)
    assert cause.traceparent is not None
    assert effect.traceparent.split("-")[1] == cause.traceparent.split("-")[1]
    assert effect.traceparent.split("-")[2] != cause.traceparent.split("-")[2]
    assert effect.time == MOMENT
    assert str(uuid.UUID(effect.id)) == effect.id


def test_a_message_without_cause_starts_a_trace() -> None:
    first = new_envelope("t", source="s", correlation_id="app-1")
    second = new_envelope("t", source="s", correlation_id="app-1")

    assert first.causation_id is None
    assert first.traceparent is not None
    assert TRACEPARENT.fullmatch(first.traceparent)
    assert second.traceparent is not None
    assert first.traceparent.split("-")[1] != second.traceparent.split("-")[1]
    assert first.time.tzinfo is UTC


def test_deterministic_ids_repeat_per_cause_and_discriminator() -> None:
    assert deterministic_id("cause-1", "reserve") == deterministic_id("cause-1", "reserve")
    assert deterministic_id("cause-1", "reserve") != deterministic_id("cause-1", "cancel")
    assert deterministic_id("cause-1", "reserve") != deterministic_id("cause-2", "reserve")
    assert uuid.UUID(deterministic_id("cause-1", "reserve")).version == 5
