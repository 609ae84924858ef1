"""What every `onewindow ops` command shares: settings, the console, durations, audit."""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import json
import logging
import re
import sys
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import typer
from pymongo import AsyncMongoClient
from rich.console import Console

from onewindow.ops.deadletters import ops_database
from onewindow.ops.decoding import Decoded
from onewindow.runtime.logs import JsonFormatter
from onewindow.runtime.mongo import make_client
from onewindow.runtime.settings import InfraSettings
from onewindow.runtime.vault import Keyring, to_json

T = TypeVar("T")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+)([smhd]?)")
APPLICATIONS_DB = "applications"  # the saga's database: `<db prefix>_applications`


def settings() -> InfraSettings:
    """Where Kafka and the database are: the same environment the services read."""
    return InfraSettings()


def console() -> Console:
    """A console on the current stdout; colour only where it is a terminal."""
    return Console(highlight=False, soft_wrap=False)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def parse_duration(text: str) -> timedelta:
    """`90`, `90s`, `10m`, `2h` or `1d` as a duration (0 allowed)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise typer.BadParameter(f"{text!r} is not a duration like 90s, 10m, 2h or 1d")
    return timedelta(seconds=int(match[1]) * UNITS[match[2] or "s"])


def operator() -> str:
    """The operating-system user running the command: who an action is recorded for."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def audit(message: str, **fields: Any) -> None:
    """A warning in the audit log (JSON on stderr), naming the operator."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter("onewindow-ops"))
    log = logging.getLogger("onewindow.ops.audit")
    log.addHandler(handler)
    try:
        log.warning(message, extra={"operator": operator(), **fields})
    finally:
        log.removeHandler(handler)


def mongo(infra: InfraSettings) -> AsyncMongoClient[dict[str, Any]]:
    return make_client(infra.mongodb_url)


def database_name(infra: InfraSettings, service: str) -> str:
    """A service's database, as `ServiceSettings.database_name` names it."""
    return f"{infra.db_prefix}_{service.replace('-', '_')}"


class Opener:
    """Opens the sealed personal data of messages with the deployment's vault
    (`runtime.vault`), for `--show-pii`: a value whose key an erasure destroyed stays
    `[erased]`. Without `show`, messages pass as they are and nothing is read."""

    def __init__(self, infra: InfraSettings, *, show: bool) -> None:
        self.show = show
        self._client = mongo(infra) if show else None
        self._keyring = (
            None if self._client is None else Keyring(self._client[vault_database(infra)])
        )

    async def __aenter__(self) -> Opener:
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._client is not None:
            await self._client.close()

    async def __call__(self, message: Decoded) -> Decoded:
        if self._keyring is None or isinstance(message.data, str):
            return message
        data = await self._keyring.unseal(message.data, message.correlation_id or None)
        return dataclasses.replace(message, data=data)


async def sealed(infra: InfraSettings, raw: bytes, case: str | None) -> bytes:
    """A payload an operator wrote (a corrected dead letter) with its personal fields
    sealed under the case's key, as the services write theirs; as it is if the case has
    no key."""
    if not case:
        return raw
    client = mongo(infra)
    try:
        data = json.loads(raw)
        closed = await Keyring(client[vault_database(infra)]).seal(data, case)
    finally:
        await client.close()
    return raw if closed is data else to_json(closed).encode("utf-8")


def vault_database(infra: InfraSettings) -> str:
    """The cases' keys, as `ServiceSettings.vault_database` names them."""
    return f"{infra.db_prefix}_vault"


def ops_database_name(infra: InfraSettings) -> str:
    return ops_database(infra.db_prefix)
