"""Crypto-shredding: personal data sealed under a key per case, erased by destroying keys.

DOMAIN.md "Erasure": personal data in events is encrypted with a key per person, and
erasing the person destroys the key; the history remains, the personal data is
unreadable. Here the gateway makes one key per case (`create`, before the case's first
message) and records it against the person's reference (`person_ref`: an HMAC of
nationality and passport number, never the number). Every message of a case carries the
case's id as its correlation id, so any service seals and unseals with nothing but the
message in hand, and erasing a person destroys the keys of all of their cases.

What is sealed: the value of every personal field (`contracts.personal`) of a payload,
wherever it is written: the event store's commits (events and outbox), hence every record
the outbox relay publishes, and the gateway's own commands. A sealed value is the string
`ow:sealed:v1:<base64url of nonce and AES-256-GCM ciphertext>`, bound to its key id and
field name, so it cannot be moved to another case or field. Reading (a subscriber's
decoding, a stream's load, the operators' tools) unseals; a value whose key is gone reads
as a stand-in that still validates (`[erased]`, 1900-01-01), so histories replay and read
models rebuild after an erasure.

Keys are read from the vault's database once per process and kept for `ttl_s`: a process
that held a key in its cache forgets it within that time after an erasure (an erasure is
refused while the person has an open case, so no process is working on one then).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from bson.binary import Binary
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from onewindow.contracts.personal import is_personal

M = TypeVar("M", bound=BaseModel)
PREFIX = "ow:sealed:v1:"
MARK = PREFIX.encode("ascii")
NONCE_BYTES = 12
ERASED = "[erased]"
# What a sealed field reads as once its key is destroyed: a value its contract accepts.
STAND_INS: dict[str, Any] = {"date_of_birth": "1900-01-01", "mrz": [ERASED, ERASED]}
KEY_TTL_S = 60.0
CACHED_KEYS = 50_000


def person_ref(secret: str, nationality: str, passport_number: str) -> str:
    """The pseudonymous reference under which a person's keys are recorded (`secret`: the
    deployment's service secret; the message is labelled, so it is never a token's MAC)."""
    person = f"person-ref\x00{nationality.strip().upper()}:{passport_number.strip().upper()}"
    return hmac.new(secret.encode("utf-8"), person.encode("utf-8"), hashlib.sha256).hexdigest()


def seal(value: Any, key_id: str, key: bytes, *, parent: str = "") -> Any:
    """`value` (decoded JSON) with every personal field's value sealed under `key`."""
    if isinstance(value, Mapping):
        return {
            field: _seal_one(item, key_id, key, field)
            if is_personal(field, item, parent=parent) and item is not None and not _is_sealed(item)
            else seal(item, key_id, key, parent=field)
            for field, item in value.items()
        }
    if isinstance(value, list):
        return [seal(item, key_id, key, parent=parent) for item in value]
    return value


def unseal(value: Any, key_id: str, key: bytes | None, *, parent: str = "") -> Any:
    """`value` with every sealed field opened with `key`, or its stand-in if `key` is None
    (destroyed). A value sealed under another key reads as erased too."""
    if isinstance(value, Mapping):
        return {
            field: _open_one(item, key_id, key, field)
            if _is_sealed(item)
            else unseal(item, key_id, key, parent=field)
            for field, item in value.items()
        }
    if isinstance(value, list):
        return [unseal(item, key_id, key, parent=parent) for item in value]
    return value


def is_sealed_json(raw: bytes | str) -> bool:
    """Whether a JSON text holds sealed values (cheap: no parsing)."""
    return MARK in raw if isinstance(raw, bytes) else PREFIX in raw


def _is_sealed(item: Any) -> bool:
    return isinstance(item, str) and item.startswith(PREFIX)


def _aad(key_id: str, field: str) -> bytes:
    return f"{key_id}\x00{field}".encode()


def _seal_one(item: Any, key_id: str, key: bytes, field: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(item, separators=(",", ":")).encode("utf-8")
    sealed = AESGCM(key).encrypt(nonce, plain, _aad(key_id, field))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open_one(item: str, key_id: str, key: bytes | None, field: str) -> Any:
    if key is None:
        return STAND_INS.get(field, ERASED)
    raw = base64.urlsafe_b64decode(item[len(PREFIX) :])
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(key_id, field))
    except InvalidTag:
        return STAND_INS.get(field, ERASED)
    return json.loads(plain)


class Keyring:
    """The vault's keys (`keys`: `_id` = case id, `person`, `key`) and its record of
    erasures (`erasures`: `_id` = person reference, when, by whom, how many cases)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, ttl_s: float = KEY_TTL_S) -> None:
        self.keys = db["keys"]
        self.erasures = db["erasures"]
        self.ttl_s = ttl_s
        self._cache: OrderedDict[str, tuple[float, bytes | None]] = OrderedDict()
        # Reads under way: callers that miss the cache at once share one read.
        self._reading: dict[str, asyncio.Future[bytes | None]] = {}

    async def ensure_indexes(self) -> None:
        await self.keys.create_index("person", name="person")

    async def create(self, key_id: str, person: str, *, at: datetime) -> None:
        """Make the key of case `key_id` for `person` (a retry keeps the first key)."""
        key = os.urandom(32)
        try:
            await self.keys.insert_one(
                {"_id": key_id, "person": person, "key": Binary(key), "created_at": at}
            )
        except DuplicateKeyError:
            self._cache.pop(key_id, None)
            return
        self._keep(key_id, key)

    async def key(self, key_id: str) -> bytes | None:
        """The key of case `key_id`; None if it never had one or it was destroyed."""
        cached = self._cache.get(key_id)
        if cached is not None and cached[0] > time.monotonic():
            self._cache.move_to_end(key_id)
            return cached[1]
        reading = self._reading.get(key_id)
        if reading is not None:
            # Another caller is reading this key: wait for its answer (if its read was
            # cancelled, read again here).
            await asyncio.wait([reading])
            if not reading.cancelled():
                return reading.result()
            return await self.key(key_id)
        reading = asyncio.get_running_loop().create_future()
        self._reading[key_id] = reading
        try:
            document = await self.keys.find_one({"_id": key_id})
        except asyncio.CancelledError:
            reading.cancel()
            raise
        except BaseException as error:
            reading.set_exception(error)
            reading.exception()  # marked retrieved: an error nobody shared is not logged
            raise
        finally:
            del self._reading[key_id]
        key = None if document is None else bytes(document["key"])
        self._keep(key_id, key)
        reading.set_result(key)
        return key

    async def cases_of(self, person: str) -> list[str]:
        """The ids of the cases whose keys are recorded for `person`."""
        return [str(doc["_id"]) async for doc in self.keys.find({"person": person}, {"_id": 1})]

    async def destroy(self, person: str, key_ids: list[str], *, by: str, at: datetime) -> None:
        """Destroy the keys of `key_ids` and record the erasure (safe to repeat)."""
        for key_id in key_ids:
            await self.keys.delete_one({"_id": key_id})
            self._cache.pop(key_id, None)
        await self.erasures.update_one(
            {"_id": person},
            {"$set": {"erased_at": at, "by": by}, "$inc": {"cases": len(key_ids)}},
            upsert=True,
        )

    async def erased(self, person: str) -> bool:
        return await self.erasures.find_one({"_id": person}, {"_id": 1}) is not None

    async def seal(self, value: Any, key_id: str | None) -> Any:
        """`value` sealed under the key of `key_id` (`value` itself if the case has no key)."""
        key = None if key_id is None else await self.key(key_id)
        return value if key is None or key_id is None else seal(value, key_id, key)

    async def unseal(self, value: Any, key_id: str | None) -> Any:
        if key_id is None:
            return unseal(value, "", None)
        return unseal(value, key_id, await self.key(key_id))

    def _keep(self, key_id: str, key: bytes | None) -> None:
        self._cache[key_id] = (time.monotonic() + self.ttl_s, key)
        self._cache.move_to_end(key_id)
        while len(self._cache) > CACHED_KEYS:
            self._cache.popitem(last=False)


_installed: Keyring | None = None


def install(keyring: Keyring | None) -> None:
    """Make `keyring` this process's vault (a service's host does it at start)."""
    global _installed
    _installed = keyring


def installed() -> Keyring | None:
    return _installed


async def seal_payload(value: Any, key_id: str | None) -> Any:
    """`value` sealed with this process's vault (`value` itself where none is installed or
    the case has no key)."""
    return value if _installed is None else await _installed.seal(value, key_id)


async def unseal_payload(value: Any, key_id: str | None) -> Any:
    """`value` with its sealed fields opened, or read as erased without a vault."""
    if _installed is None:
        return unseal(value, "", None)
    return await _installed.unseal(value, key_id)


async def dump(message: BaseModel, case: str | None) -> str:
    """A message's JSON as it is written to a topic or an outbox: its personal fields
    sealed under the key of `case` (the message as it is where the case has none)."""
    data = message.model_dump(mode="json")
    closed = await seal_payload(data, case)
    return message.model_dump_json() if closed is data else to_json(closed)


def to_json(value: Any) -> str:
    """Compact JSON, as pydantic writes a message."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def read(model: type[M], raw: bytes, case: str | None) -> M:
    """A message's payload as its contract reads it, its sealed values opened."""
    if not is_sealed_json(raw):
        return model.model_validate_json(raw)
    try:
        data = json.loads(raw)
    except ValueError:
        return model.model_validate_json(raw)  # the contract's own error for bad JSON
    return model.model_validate(await unseal_payload(data, case))
