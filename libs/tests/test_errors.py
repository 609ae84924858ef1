"""Errors as others read them (logs, dead-letter headers): no submitted value."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from onewindow.runtime.errors import safe_description


class Passport(BaseModel):
    number: str
    holder: str


class Form(BaseModel):
    passport: Passport
    annual_salary_cny: int


SECRETS = ("NX4K2P7R1", "DE JONG", "900,000 CNY")


def test_a_validation_error_names_paths_and_types_and_no_value() -> None:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate(
            {
                "passport": {"number": ["NX4K2P7R1"], "holder": None},
                "annual_salary_cny": "900,000 CNY",
            }
        )
    text = safe_description(caught.value)
    assert "passport.number: string_type" in text
    assert "annual_salary_cny: int_parsing" in text
    assert not any(secret in text for secret in SECRETS), text
    assert "900,000 CNY" in str(caught.value)  # what pydantic itself would have said


def test_bad_json_is_described_without_quoting_it() -> None:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate_json('{"passport": "NX4K2P7R1", oops')
    assert "NX4K2P7R1" not in safe_description(caught.value)
    with pytest.raises(json.JSONDecodeError) as decoding:
        json.loads('{"holder": "DE JONG" oops')
    assert "DE JONG" not in safe_description(decoding.value)
