"""The work-permit service through real Kafka and FerretDB.

Commands are published to `work-permit.commands` with CloudEvents headers, as the saga
would; the answers are read back from `work-permit.events`. The service runs in this
process from its own `bootstrap` (two replicas in one consumer group, so commands are
really handled concurrently), with a manual clock so reservations can be made to lapse.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from onewindow.contracts.reasons import describe
from onewindow.contracts.v1 import residence_permit as rp
from onewindow.contracts.v1 import work_permit as wp
from onewindow.devstack.bus import Bus
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.permits.mongo_numbers import MongoPermitNumbers
from onewindow.residence_permit.bootstrap import bootstrap as residence_bootstrap
from onewindow.residence_permit.settings import ResidencePermitSettings
from onewindow.runtime.clock import ManualClock
from onewindow.work_permit.bootstrap import bootstrap
from onewindow.work_permit.domain.policy import published_policies
from onewindow.work_permit.settings import WorkPermitSettings

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = re.compile(r"WP-2026-\d{6}")


def assess_command(application_id: str, **changes: Any) -> wp.AssessWorkPermit:
    """A Category-A applicant (salary 900,000) with every document; valid to 2029-04-30."""
    data: dict[str, Any] = {
        "application_id": application_id,
        "person_ref": f"person-{application_id}",
        "date_of_birth": "1984-08-12",
        "passport_expires_on": "2033-10-31",
        "employer": {
            "uscc": "91310104MA1FL5KX1N",
            "name": "Example Ltd",
            "licence_valid_until": "2030-12-31",
        },
        "position": {
            "title": "Chief Scientist",
            "annual_salary_cny": 900_000,
            "contract_start": "2026-05-01",
            "contract_end": "2029-04-30",
            "months_in_china_per_year": 12,
        },
        "qualifications": {"education": "doctorate", "experience_years": 15},
        "documents": [
            {"kind": k, "registry_id": f"{k}-1", "issuer": "registry", "issued_on": "2026-01-15"}
            for k in ("degree", "criminal_record", "health")
        ],
        "application_date": "2026-03-02",
    } | changes
    return wp.AssessWorkPermit.model_validate(data)


def new_id() -> str:
    return f"app-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="module")
async def bus(infrastructure: Infrastructure) -> AsyncIterator[Bus]:
    created = Bus(infrastructure, ["work-permit.events", "residence-permit.events"])
    await created.start()
    yield created
    await created.stop()


@pytest.fixture(scope="module")
async def services(infrastructure: Infrastructure, clock: ManualClock) -> AsyncIterator[None]:
    """Two work-permit replicas and one residence-permit service, each with its relay."""
    where: dict[str, Any] = {
        "kafka_bootstrap_servers": infrastructure.kafka_bootstrap,
        "mongodb_url": infrastructure.mongodb_url,
        "topic_prefix": infrastructure.topic_prefix,
        "db_prefix": infrastructure.namespace,
    }
    apps = [
        bootstrap(WorkPermitSettings(**where), clock=clock, expiry_scan_interval_s=0.3)
        for _ in range(2)
    ]
    apps.append(
        residence_bootstrap(
            ResidencePermitSettings(**where), clock=clock, expiry_scan_interval_s=0.3
        )
    )
    async with contextlib.AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


@pytest.fixture(scope="module")
async def database(infrastructure: Infrastructure) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infrastructure.mongodb_url)
    yield client[WorkPermitSettings(db_prefix=infrastructure.namespace).database_name]
    await client.close()


async def reserved_and_issued(bus: Bus, application_id: str, **changes: Any) -> wp.WorkPermitIssued:
    await bus.send(assess_command(application_id, **changes), application_id)
    await bus.wait_for(wp.WorkPermitReserved, application_id=application_id)
    await bus.send(wp.IssueWorkPermit(application_id=application_id), application_id)
    (issued,) = await bus.wait_for(wp.WorkPermitIssued, application_id=application_id)
    assert isinstance(issued, wp.WorkPermitIssued)
    return issued


async def test_an_assessed_category_a_permit_is_reserved_then_issued_under_that_number(
    services: None, bus: Bus
) -> None:
    app = new_id()
    await bus.send(assess_command(app), app)
    (reserved,) = await bus.wait_for(wp.WorkPermitReserved, application_id=app)
    assert NUMBER.fullmatch(reserved.permit_number)
    assert reserved.valid_until == date(2029, 4, 30)
    assert reserved.classification.category == "A"
    assert reserved.classification.direct_criterion == "salary"
    assert reserved.reserved_until == START + timedelta(days=30)

    await bus.send(wp.IssueWorkPermit(application_id=app), app)
    (issued,) = await bus.wait_for(wp.WorkPermitIssued, application_id=app)
    assert (issued.permit_number, issued.valid_until) == (reserved.permit_number, date(2029, 4, 30))


async def test_a_refused_assessment_names_every_reason(services: None, bus: Bus) -> None:
    app = new_id()
    changes = {
        "passport_expires_on": "2026-01-01",
        "position": {
            **assess_command(app).position.model_dump(mode="json"),
            "annual_salary_cny": 30_000,
        },
        "qualifications": {"education": "other", "experience_years": 0},
    }
    await bus.send(assess_command(app, **changes), app)
    (refused,) = await bus.wait_for(wp.WorkPermitRefused, application_id=app)
    assert [r.code for r in refused.reasons] == ["passport_expired", "not_eligible_category"]
    assert refused.classification.category == "C"
    assert [
        (r.legal_basis.policy, r.legal_basis.article) for r in refused.reasons if r.legal_basis
    ] == [
        ("fwp-2017.1-shanghai", "§2.1"),
        ("fwp-2017.1-shanghai", "§3.1"),
    ]


def registry_document(kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "registry_id": f"{kind}-1",
        "issuer": "registry",
        "issued_on": "2020-01-15",
        **extra,
    }


async def test_an_expired_cited_degree_asks_for_a_current_one_instead_of_refusing(
    services: None, bus: Bus
) -> None:
    app = new_id()
    documents = [
        registry_document("degree", valid_until="2026-03-01", details={"level": "doctorate"}),
        registry_document("criminal_record"),
    ]
    await bus.send(assess_command(app, documents=documents), app)
    (review,) = await bus.wait_for(wp.WorkPermitReviewRequired, application_id=app)
    [reason] = review.reasons
    assert (reason.code, reason.params) == (
        "document_expired",
        {"kind": "degree", "registry_id": "degree-1", "valid_until": "2026-03-01"},
    )
    assert review.missing_documents == ("degree",)
    assert reason.legal_basis is not None
    assert bus.seen(wp.WorkPermitRefused, application_id=app) == []


async def test_the_registry_degree_level_scores_and_a_mismatch_is_shown(
    services: None, bus: Bus
) -> None:
    app = new_id()
    documents = [
        registry_document("degree", details={"level": "master"}),
        registry_document("criminal_record"),
    ]
    await bus.send(assess_command(app, documents=documents), app)  # typed: doctorate
    (reserved,) = await bus.wait_for(wp.WorkPermitReserved, application_id=app)
    [education] = [f for f in reserved.classification.factors if f.factor == "education"]
    assert (education.points, education.value) == (15, "master (registry; typed doctorate)")


@pytest.mark.parametrize(
    ("at", "outcome"),
    [
        pytest.param(
            datetime(2026, 3, 2, 15, 59, tzinfo=UTC), wp.WorkPermitReserved, id="23:59 Shanghai"
        ),
        pytest.param(
            datetime(2026, 3, 2, 16, 1, tzinfo=UTC), wp.WorkPermitRefused, id="00:01 Shanghai"
        ),
    ],
)
async def test_a_licence_lapses_at_shanghai_midnight_not_utc_midnight(
    services: None, bus: Bus, clock: ManualClock, at: datetime, outcome: type[wp.WorkPermitEvent]
) -> None:
    # The licence's last day is 2 March; at 16:01 UTC it is already 3 March in Shanghai.
    app = new_id()
    employer = {
        "uscc": "91310104MA1FL5KX1N",
        "name": "Example Ltd",
        "licence_valid_until": "2026-03-02",
    }
    clock.set(at)
    try:
        await bus.send(assess_command(app, employer=employer), app)
        (answer,) = await bus.wait_for(outcome, application_id=app)
    finally:
        clock.set(START)
    if isinstance(answer, wp.WorkPermitRefused):
        [reason] = answer.reasons
        assert (reason.code, reason.params["decision_date"]) == (
            "employer_licence_expired",
            "2026-03-03",
        )


async def test_a_cancelled_reservation_is_not_issued_afterwards(services: None, bus: Bus) -> None:
    app = new_id()
    await bus.send(assess_command(app), app)
    (reserved,) = await bus.wait_for(wp.WorkPermitReserved, application_id=app)
    cancel = wp.CancelWorkPermitReservation(application_id=app, reason="counterpart_refused")
    await bus.send(cancel, app)
    (cancelled,) = await bus.wait_for(wp.WorkPermitReservationCancelled, application_id=app)
    assert (cancelled.permit_number, cancelled.reason) == (
        reserved.permit_number,
        "counterpart_refused",
    )

    await bus.send(wp.IssueWorkPermit(application_id=app), app)
    (rejected,) = await bus.wait_for(wp.WorkPermitIssueRejected, application_id=app)
    assert rejected.state == "cancelled"
    assert bus.seen(wp.WorkPermitIssued, application_id=app) == []


async def test_a_redelivered_command_changes_nothing(
    services: None, bus: Bus, database: Any
) -> None:
    app = new_id()
    assess = await bus.send(assess_command(app), app)
    (reserved,) = await bus.wait_for(wp.WorkPermitReserved, application_id=app)
    await bus.send(assess_command(app), app, envelope=assess)  # the same message again
    issue = await bus.send(wp.IssueWorkPermit(application_id=app), app)
    await bus.wait_for(wp.WorkPermitIssued, application_id=app)
    await bus.send(wp.IssueWorkPermit(application_id=app), app, envelope=issue)
    # A genuinely new issue command on the same key comes after the redeliveries: once
    # its answer is out, both redeliveries have been handled.
    await bus.send(wp.IssueWorkPermit(application_id=app), app)
    await bus.wait_for(wp.WorkPermitIssueRejected, application_id=app)

    assert len(bus.seen(wp.WorkPermitReserved, application_id=app)) == 1
    (issued,) = bus.seen(wp.WorkPermitIssued, application_id=app)
    assert issued.permit_number == reserved.permit_number
    commits = await database["commits"].count_documents({"stream": f"work-permit-{app}"})
    assert commits == 3, "assess, issue and the new issue; the redeliveries added nothing"


async def test_fifty_concurrent_issues_get_fifty_distinct_permit_numbers(
    services: None, bus: Bus
) -> None:
    apps = [new_id() for _ in range(50)]
    envelopes = await asyncio.gather(*(bus.send(assess_command(a), a) for a in apps))
    # Redeliveries of a few assessments, racing their originals.
    await asyncio.gather(
        *(
            bus.send(assess_command(a), a, envelope=e)
            for a, e in zip(apps[:10], envelopes[:10], strict=True)
        )
    )
    await bus.wait_until(
        lambda: all(bus.seen(wp.WorkPermitReserved, application_id=a) for a in apps)
    )
    await asyncio.gather(*(bus.send(wp.IssueWorkPermit(application_id=a), a) for a in apps))
    await bus.wait_until(lambda: all(bus.seen(wp.WorkPermitIssued, application_id=a) for a in apps))

    issued = {a: bus.seen(wp.WorkPermitIssued, application_id=a) for a in apps}
    reserved = {a: bus.seen(wp.WorkPermitReserved, application_id=a) for a in apps}
    numbers = [found[0].permit_number for found in issued.values()]
    assert len(set(numbers)) == 50
    assert all(len(found) == 1 for found in [*issued.values(), *reserved.values()])
    assert all(issued[a][0].permit_number == reserved[a][0].permit_number for a in apps)


async def test_numbers_allocated_concurrently_by_separate_processes_are_never_shared(
    infrastructure: Infrastructure,
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infrastructure.mongodb_url)
    db = client[f"{infrastructure.namespace}_wp_numbers_{uuid.uuid4().hex[:6]}"]
    fmt = published_policies().versions[-1].permit_number
    # Five allocators with their own locks stand for five service processes.
    allocators = [MongoPermitNumbers(db) for _ in range(5)]
    try:
        numbers = await asyncio.gather(
            *(allocators[i % 5].allocate(fmt, 2026, f"app-{i}", START) for i in range(50))
        )
        assert len(set(numbers)) == 50
        assert await allocators[0].application_of(numbers[7]) == "app-7"
    finally:
        await client.drop_database(db.name)
        await client.close()


async def test_an_extension_inside_the_window_extends_both_permits(
    services: None, bus: Bus
) -> None:
    app = new_id()
    await bus.send(assess_command(app), app)
    await bus.send(
        rp.AssessResidencePermit(
            application_id=app,
            person_ref=f"person-{app}",
            date_of_birth=date(1984, 8, 12),
            passport_expires_on=date(2033, 10, 31),
            registration_number="XH-2026-000123",
            documents=assess_command(app).documents,
            application_date=date(2026, 3, 2),
        ),
        app,
    )
    await bus.wait_for(wp.WorkPermitReserved, application_id=app)
    await bus.wait_for(rp.ResidencePermitReserved, application_id=app)
    await bus.send(wp.IssueWorkPermit(application_id=app), app)
    (work,) = await bus.wait_for(wp.WorkPermitIssued, application_id=app)
    await bus.send(
        rp.IssueResidencePermit(
            application_id=app,
            work_permit_number=work.permit_number,
            work_permit_valid_until=work.valid_until,
        ),
        app,
    )
    (residence,) = await bus.wait_for(rp.ResidencePermitIssued, application_id=app)
    assert residence.valid_until == date(2029, 4, 30)

    extension = f"ext-{app}"
    await bus.send(
        wp.ExtendWorkPermit(
            extension_id=extension,
            permit_number=work.permit_number,
            contract_end=date(2031, 4, 30),
            requested_on=date(2029, 3, 1),
        ),
        extension,
    )
    (extended,) = await bus.wait_for(wp.WorkPermitExtended, extension_id=extension)
    assert (extended.application_id, extended.previous_valid_until, extended.valid_until) == (
        app,
        date(2029, 4, 30),
        date(2031, 4, 30),
    )
    # The saga's next step: the residence permit follows the work permit.
    await bus.send(
        rp.ExtendResidencePermit(
            extension_id=extension,
            application_id=extended.application_id,
            work_permit_valid_until=extended.valid_until,
        ),
        extension,
    )
    (followed,) = await bus.wait_for(rp.ResidencePermitExtended, extension_id=extension)
    assert (followed.permit_number, followed.valid_until) == (
        residence.permit_number,
        date(2031, 4, 30),
    )


async def test_an_extension_outside_the_window_is_refused_with_the_window_in_the_message(
    services: None, bus: Bus
) -> None:
    app = new_id()
    work = await reserved_and_issued(bus, app)
    extension = f"ext-{app}"
    await bus.send(
        wp.ExtendWorkPermit(
            extension_id=extension,
            permit_number=work.permit_number,
            contract_end=date(2031, 4, 30),
            requested_on=date(2028, 12, 1),
        ),
        extension,
    )
    (refused,) = await bus.wait_for(wp.WorkPermitExtensionRefused, extension_id=extension)
    (reason,) = refused.reasons
    assert reason.code == "outside_extension_window"
    message_en, message_zh = describe(reason)
    assert (reason.params["window_opens"], reason.params["window_closes"]) == (
        "2029-01-30",
        "2029-03-31",
    )
    assert "between 30 January 2029 and 31 March 2029" in message_en
    assert "2029年1月30日至2029年3月31日" in message_zh
    assert bus.seen(wp.WorkPermitExtended, extension_id=extension) == []


async def test_an_extension_of_an_unknown_number_is_refused(services: None, bus: Bus) -> None:
    extension = f"ext-{uuid.uuid4().hex[:8]}"
    await bus.send(
        wp.ExtendWorkPermit(
            extension_id=extension,
            permit_number="WP-1999-000001",
            contract_end=date(2031, 4, 30),
            requested_on=date(2029, 3, 1),
        ),
        extension,
    )
    (refused,) = await bus.wait_for(wp.WorkPermitExtensionRefused, extension_id=extension)
    assert [r.code for r in refused.reasons] == ["document_not_found"]


async def test_a_reservation_never_confirmed_lapses_and_cannot_be_issued(
    services: None, bus: Bus, clock: ManualClock
) -> None:
    app = new_id()
    await bus.send(assess_command(app), app)
    (reserved,) = await bus.wait_for(wp.WorkPermitReserved, application_id=app)
    try:
        clock.set(reserved.reserved_until + timedelta(seconds=1))
        (expired,) = await bus.wait_for(wp.WorkPermitReservationExpired, application_id=app)
        assert expired.permit_number == reserved.permit_number
        await bus.send(wp.IssueWorkPermit(application_id=app), app)
        (rejected,) = await bus.wait_for(wp.WorkPermitIssueRejected, application_id=app)
        assert rejected.state == "expired"
    finally:
        clock.set(START)
