"""Requests that pass the door, for the first step of a stateful sequence.

Data generated from a schema rarely passes the gateway's rules beyond it (a USCC's check
character, an ISO country code, an MRZ's check digits, dates in order), so a sequence
would stop at its first 422. In half of the steps that open a sequence the fuzzer puts
in a request built the way clients build theirs (`onewindow.cli.seeding`), with fresh
passports and USCCs so no two collide; the links then carry its ids onwards.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from requests.structures import CaseInsensitiveDict
from schemathesis import Case

from onewindow.cli import seeding

PASSPORT_LETTERS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def _passport(rng: random.Random) -> str:
    return "F" + "".join(rng.choice(PASSPORT_LETTERS) for _ in range(8))


def _person(rng: random.Random) -> seeding.Person:
    passport = _passport(rng)
    return seeding.Person(
        passport=passport,
        documents={kind: f"{kind}-{passport}" for kind in seeding.DOCUMENT_KINDS},
    )


def application(case: Case[Any], rng: random.Random) -> None:
    """A fast-track application citing registry ids nobody recorded (the services then
    ask for documents or refuse), under a fresh Idempotency-Key."""
    case.body = seeding.application_body(_person(rng), today=date.today())
    headers = case.headers if case.headers is not None else CaseInsensitiveDict()
    headers["Idempotency-Key"] = _uuid(rng)
    case.headers = headers


def employer(case: Case[Any], rng: random.Random) -> None:
    case.path_parameters = {"uscc": seeding.new_uscc()}
    case.body = seeding.employer_record()


def certificate(case: Case[Any], rng: random.Random) -> None:
    person = _person(rng)
    kind = rng.choice(seeding.DOCUMENT_KINDS)
    records = seeding.certificate_records(person, health_issued=date.today())
    case.path_parameters = {"certificate_id": f"{kind}-{person.passport}"}
    case.body = records[kind]


def watchlist(case: Case[Any], rng: random.Random) -> None:
    case.path_parameters = {"nationality": "NLD", "passport_number": _passport(rng)}
    case.body = {"note": "fuzz: watched for a test"}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


SEEDS: dict[str, Callable[[Case[Any], random.Random], None]] = {
    "POST /v1/applications": application,
    "PUT /v1/registry/employers/{uscc}": employer,
    "PUT /v1/registry/certificates/{certificate_id}": certificate,
    "PUT /v1/registry/watchlist/{nationality}/{passport_number}": watchlist,
}


def seed(case: Case[Any], rng: random.Random, share: float = 0.5) -> bool:
    """Make `case` a request that passes the door, `share` of the time, if the fuzzer
    knows how for its operation; whether it did."""
    make: Any = SEEDS.get(case.operation.label)
    if make is None or rng.random() >= share:
        return False
    make(case, rng)
    return True
