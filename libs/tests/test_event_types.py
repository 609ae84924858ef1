"""Stored event types: stable names, old streams read through upcasters, on the real store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.runtime.event_types import EventTypes, UnknownEventType
from onewindow.runtime.eventstore import EventStore


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class PermitGranted(Event):  # version 1: one free-text holder name
    holder: str


class PermitGrantedV2(Event):  # version 2: the name split, and a channel added
    surname: str
    given_names: str
    channel: str


def version_1() -> EventTypes[Event]:
    types: EventTypes[Event] = EventTypes("example")
    types.add(PermitGranted)
    return types


def version_2() -> EventTypes[Event]:
    types: EventTypes[Event] = EventTypes("example")
    types.add(PermitGrantedV2, version=2, event="PermitGranted")

    def split_the_name(data: dict[str, Any]) -> dict[str, Any]:
        surname, _, given = data.pop("holder").partition(", ")
        return {**data, "surname": surname, "given_names": given, "channel": "online"}

    types.upcaster("PermitGranted", 1, split_the_name)
    return types


@pytest.fixture
async def db(infrastructure: Infrastructure) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infrastructure.mongodb_url)
    name = f"{infrastructure.namespace}_event_types_{uuid.uuid4().hex[:6]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


@pytest.mark.integration
async def test_a_v1_event_stored_then_replayed_after_its_shape_changed_to_v2(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    version_1()  # the code of last year registers and stores version 1
    store = EventStore(db)
    await store.append("permit-1", 0, [PermitGranted(holder="DE JONG, ANNA")])
    stored = (await store.load("permit-1")).events
    assert [e.type for e in stored] == ["example.PermitGranted.v1"]

    # This year's code: version 2, with an upcaster; the stored history is untouched.
    types = version_2()
    replayed = [types.revive(e.type, e.data) for e in stored]

    assert replayed == [PermitGrantedV2(surname="DE JONG", given_names="ANNA", channel="online")]
    await store.append("permit-1", 1, replayed)
    again = (await store.load("permit-1")).events
    assert [e.type for e in again] == ["example.PermitGranted.v1", "example.PermitGranted.v2"]
    assert [types.revive(e.type, e.data) for e in again] == replayed * 2


def test_a_stream_written_before_stable_names_reads_as_version_1() -> None:
    types = version_2()
    event = types.revive("PermitGranted", {"holder": "LI, WEI"})
    assert event == PermitGrantedV2(surname="LI", given_names="WEI", channel="online")


@pytest.mark.parametrize(
    "type_name",
    [
        "example.PermitGranted.v3",  # written by newer code
        "example.PermitRevoked.v1",  # not an event of this registry
        "other.PermitGranted.v1",  # another context's
    ],
)
def test_a_type_this_code_cannot_read_is_refused_by_name(type_name: str) -> None:
    with pytest.raises(UnknownEventType, match=type_name.split(".")[1]):
        version_2().revive(type_name, {})
    assert type_name not in version_2()


def test_a_missing_upcaster_is_named() -> None:
    types: EventTypes[Event] = EventTypes("example")
    types.add(PermitGrantedV2, version=2, event="PermitGranted")
    with pytest.raises(UnknownEventType, match="no upcaster from v1"):
        types.revive("example.PermitGranted.v1", {"holder": "LI, WEI"})
