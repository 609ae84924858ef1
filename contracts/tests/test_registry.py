"""The registry contract: what a clerk's body may hold, whoever reads it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from onewindow.contracts.v1.registry import (
    DEGREE_LEVELS,
    DETAILS_MAX,
    CertificateRecord,
    EmployerRecord,
    WatchlistEntry,
)

CERTIFICATE: dict[str, Any] = {
    "kind": "degree",
    "holder": {"nationality": "NLD", "passport_number": "NX4K2P7R1"},
    "issued_on": "2010-06-30",
    "details": {"level": "doctorate"},
}


def test_a_certificate_reads_as_api_md_writes_it() -> None:
    record = CertificateRecord.model_validate(CERTIFICATE)
    assert record.issued_on == date(2010, 6, 30)
    assert record.model_dump(mode="json") == {
        **CERTIFICATE,
        "valid_until": None,
        "issuer": None,
    }


@pytest.mark.parametrize(
    ("rule", "body", "loc"),
    [
        ("unknown_member", {**CERTIFICATE, "valid_untill": "2030-01-01"}, ("valid_untill",)),
        ("date_as_a_number", {**CERTIFICATE, "issued_on": 1277856000}, ("issued_on",)),
        ("date_with_a_time", {**CERTIFICATE, "issued_on": "2010-06-30T00:00Z"}, ("issued_on",)),
        ("kind_not_a_document", {**CERTIFICATE, "kind": "passport"}, ("kind",)),
        (
            "too_many_details",
            {**CERTIFICATE, "details": {f"k{i}": i for i in range(DETAILS_MAX + 1)}},
            ("details",),
        ),
        ("blank_issuer", {**CERTIFICATE, "issuer": "  "}, ("issuer",)),
    ],
)
def test_a_malformed_certificate_is_refused(
    rule: str, body: dict[str, Any], loc: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        CertificateRecord.model_validate(body)
    assert loc in [error["loc"][: len(loc)] for error in refused.value.errors()], rule


def test_an_employer_and_a_watch_list_note_are_trimmed_and_never_blank() -> None:
    employer = EmployerRecord.model_validate(
        {"name": " Acme ", "licence_valid_until": "2030-01-01"}
    )
    assert employer.name == "Acme"
    with pytest.raises(ValidationError):
        EmployerRecord.model_validate({"name": "", "licence_valid_until": "2030-01-01"})
    with pytest.raises(ValidationError):
        WatchlistEntry.model_validate({"note": "   "})


def test_a_degree_is_one_of_three_levels() -> None:
    assert DEGREE_LEVELS == ("doctorate", "master", "bachelor")
