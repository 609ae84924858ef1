"""The vault's sealing (runtime.vault): what a reader without the key sees, and that a
message with its key destroyed still reads as its contract, so histories replay."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from onewindow.contracts.v1.applications import Actor, SubmitApplication
from onewindow.contracts.v1.identity import VerifyIdentity
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime import vault
from onewindow.runtime.mongo import make_client

KEY = os.urandom(32)
CASE = "0e2248a0-4b85-5f15-b895-388c65bf06b4"


FORM: dict[str, Any] = {
    "applicant": {
        "surname": "DE JONG",
        "given_names": "ANNA",
        "sex": "F",
        "date_of_birth": "1984-08-12",
        "nationality": "NLD",
        "passport": {"number": "EQ1234567", "expires_on": "2033-10-31"},
        "email": "anna@example.org",
    },
    "employer": {"uscc": "91310000MA1FL8KQ3Y", "contact_email": "hr@example.com"},
    "position": {
        "title": "Chief Scientist",
        "annual_salary_cny": 900_000,
        "contract_start": "2027-01-06",
        "contract_end": "2029-12-06",
        "months_in_china_per_year": 12,
    },
    "qualifications": {"education": "doctorate", "experience_years": 15},
    "residence": {
        "address": "188 Caoxi Road, Xuhui District, Shanghai",
        "registration_number": "XH-2026-000123",
    },
    "documents": [{"kind": "degree", "registry_id": "degree-1"}],
    "commitments": {"criminal_record": False},
    "channel": "online",
    "language": "en",
}


def submission() -> dict[str, Any]:
    command = SubmitApplication.model_validate(
        {
            "application_id": CASE,
            "submitted_by": Actor(sub="applicant-1", role="applicant"),
            "submitted_at": datetime(2026, 12, 7, 9, tzinfo=UTC),
            "form": FORM,
        }
    )
    return command.model_dump(mode="json")


def test_every_personal_value_is_sealed_and_nothing_else() -> None:
    plain = submission()
    sealed = vault.seal(plain, CASE, KEY)
    text = json.dumps(sealed)

    for value in ("EQ1234567", "DE JONG", "ANNA", "1984-08-12", "188 Caoxi Road", "XH-2026"):
        assert value not in text
    assert "@example.org" not in text
    assert "hr@example.com" not in text
    assert sealed["form"]["position"] == plain["form"]["position"]
    assert sealed["form"]["applicant"]["nationality"] == "NLD"
    assert sealed["form"]["applicant"]["passport"]["expires_on"] == "2033-10-31"
    assert vault.is_sealed_json(text)
    assert not vault.is_sealed_json(json.dumps(plain))


def test_the_key_opens_what_it_sealed() -> None:
    plain = submission()
    assert vault.unseal(vault.seal(plain, CASE, KEY), CASE, KEY) == plain


def test_sealing_twice_seals_once() -> None:
    once = vault.seal(submission(), CASE, KEY)
    assert vault.seal(once, CASE, KEY) == once


def test_without_the_key_a_message_reads_as_erased_and_still_validates() -> None:
    sealed = vault.seal(submission(), CASE, KEY)
    erased = SubmitApplication.model_validate(vault.unseal(sealed, CASE, None))

    applicant = erased.form.applicant
    assert (applicant.surname, applicant.given_names) == ("[erased]", "[erased]")
    assert applicant.date_of_birth == date(1900, 1, 1)
    assert applicant.passport.number == "[erased]"
    assert erased.form.position.annual_salary_cny == 900_000  # not personal: kept


def test_another_key_or_another_case_reads_as_erased() -> None:
    sealed = vault.seal(submission(), CASE, KEY)
    other_key = vault.unseal(sealed, CASE, os.urandom(32))
    other_case = vault.unseal(sealed, "another-case", KEY)

    for opened in (other_key, other_case):
        assert opened["form"]["applicant"]["surname"] == "[erased]"


def test_a_sealed_value_moved_to_another_field_does_not_open() -> None:
    sealed = vault.seal(submission(), CASE, KEY)
    applicant = sealed["form"]["applicant"]
    applicant["given_names"] = applicant["surname"]

    assert vault.unseal(sealed, CASE, KEY)["form"]["applicant"]["given_names"] == "[erased]"


def test_an_identity_command_with_a_date_of_birth_reads_as_erased() -> None:
    command = VerifyIdentity.model_validate(
        {
            "application_id": CASE,
            "nationality": "NLD",
            "passport_number": "EQ1234567",
            "passport_expires_on": "2033-10-31",
            "date_of_birth": "1984-08-12",
            "employer_uscc": "91310000MA1FL8KQ3Y",
            "documents": [],
            "application_date": "2026-12-07",
            "verified_passport": "NLD:EQ1234567",
        }
    ).model_dump(mode="json")
    erased = vault.unseal(vault.seal(command, CASE, KEY), CASE, None)

    assert "EQ1234567" not in json.dumps(vault.seal(command, CASE, KEY))
    read = VerifyIdentity.model_validate(erased)
    assert read.passport_number == read.verified_passport == "[erased]"
    assert read.date_of_birth == date(1900, 1, 1)


def test_a_person_reference_does_not_name_the_passport_and_ignores_case() -> None:
    ref = vault.person_ref("secret", "nld", " eq1234567 ")

    assert ref == vault.person_ref("secret", "NLD", "EQ1234567")
    assert "EQ1234567" not in ref
    assert ref != vault.person_ref("other", "NLD", "EQ1234567")


class _CountedFinds:
    """The vault's real `keys` collection, counting the look-ups that reach it."""

    def __init__(self, keys: Any) -> None:
        self._keys, self.finds = keys, 0

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        self.finds += 1
        await asyncio.sleep(0.05)  # a slow database: the other callers arrive meanwhile
        return await self._keys.find_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._keys, name)


@pytest.mark.integration
async def test_callers_that_miss_the_key_at_once_share_one_read(
    infrastructure: Infrastructure,
) -> None:
    client = make_client(infrastructure.mongodb_url)
    name = f"{infrastructure.namespace}_vault{uuid.uuid4().hex[:6]}"
    try:
        writer = vault.Keyring(client[name])
        await writer.create("OW-1", "person-1", at=datetime(2027, 1, 4, tzinfo=UTC))
        reader = vault.Keyring(client[name])
        counted = _CountedFinds(reader.keys)
        # A counting proxy in front of the real collection (typed as the collection).
        reader.keys = counted  # type: ignore[assignment]
        keys = await asyncio.gather(*(reader.key("OW-1") for _ in range(10)))
        assert counted.finds == 1
        assert len(set(keys)) == 1
        assert keys[0] == await writer.key("OW-1")
    finally:
        await client.drop_database(name)
        await client.close()
