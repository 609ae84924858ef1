"""The residence-permit service through real Kafka and FerretDB.

Commands are published to `residence-permit.commands` with CloudEvents headers, as the
saga would; the answers are read back from `residence-permit.events`. The service runs
in this process from its own `bootstrap` (two replicas in one consumer group), with a
manual clock so reservations can be made to lapse. (The extension of both permits
together is shown in the work-permit service's tests, which run both services.)
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

from onewindow.contracts.v1 import residence_permit as rp
from onewindow.contracts.v1.common import LegalBasis
from onewindow.devstack.bus import Bus
from onewindow.devstack.pytest_plugin import Infrastructure
from onewindow.residence_permit.bootstrap import bootstrap
from onewindow.residence_permit.settings import ResidencePermitSettings
from onewindow.runtime.clock import ManualClock

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = re.compile(r"RP-2026-\d{6}")


def assess_command(application_id: str, **changes: Any) -> rp.AssessResidencePermit:
    """An adult with a passport to 2033, a registration and a recent health certificate."""
    data: dict[str, Any] = {
        "application_id": application_id,
        "person_ref": f"person-{application_id}",
        "date_of_birth": "1984-08-12",
        "passport_expires_on": "2033-10-31",
        "registration_number": "XH-2026-000123",
        "documents": [
            {"kind": "health", "registry_id": "h-1", "issuer": "clinic", "issued_on": "2026-01-15"}
        ],
        "application_date": "2026-03-02",
    } | changes
    return rp.AssessResidencePermit.model_validate(data)


def issue_command(application_id: str) -> rp.IssueResidencePermit:
    return rp.IssueResidencePermit(
        application_id=application_id,
        work_permit_number="WP-2026-000001",
        work_permit_valid_until=date(2029, 4, 30),
    )


def new_id() -> str:
    return f"app-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="module")
async def bus(infrastructure: Infrastructure) -> AsyncIterator[Bus]:
    created = Bus(infrastructure, ["residence-permit.events"])
    await created.start()
    yield created
    await created.stop()


@pytest.fixture(scope="module")
async def service(infrastructure: Infrastructure, clock: ManualClock) -> AsyncIterator[None]:
    """Two residence-permit replicas, each with its relay and expiry timer."""
    settings = ResidencePermitSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        topic_prefix=infrastructure.topic_prefix,
        db_prefix=infrastructure.namespace,
    )
    apps = [bootstrap(settings, clock=clock, expiry_scan_interval_s=0.3) for _ in range(2)]
    async with contextlib.AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


@pytest.fixture(scope="module")
async def database(infrastructure: Infrastructure) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infrastructure.mongodb_url)
    yield client[ResidencePermitSettings(db_prefix=infrastructure.namespace).database_name]
    await client.close()


async def test_an_assessed_residence_permit_is_reserved_then_issued_beside_the_work_permit(
    service: None, bus: Bus
) -> None:
    app = new_id()
    await bus.send(assess_command(app, passport_expires_on="2028-12-31"), app)
    (reserved,) = await bus.wait_for(rp.ResidencePermitReserved, application_id=app)
    assert NUMBER.fullmatch(reserved.permit_number)
    assert reserved.reserved_until == START + timedelta(days=30)

    await bus.send(issue_command(app), app)
    (issued,) = await bus.wait_for(rp.ResidencePermitIssued, application_id=app)
    # min(work permit 2029-04-30, passport 2028-12-31)
    assert (issued.permit_number, issued.valid_until) == (
        reserved.permit_number,
        date(2028, 12, 31),
    )


async def test_a_refused_assessment_names_every_reason_and_its_legal_basis(
    service: None, bus: Bus
) -> None:
    app = new_id()
    changes = {
        "passport_expires_on": "2026-06-30",
        "documents": [
            {"kind": "health", "registry_id": "h-1", "issuer": "clinic", "issued_on": "2025-08-01"}
        ],
    }
    await bus.send(assess_command(app, **changes), app)
    (refused,) = await bus.wait_for(rp.ResidencePermitRefused, application_id=app)
    assert [(r.code, r.legal_basis) for r in refused.reasons] == [
        ("passport_validity_too_short", LegalBasis(policy="rp-2013.1-shanghai", article="§30.2")),
        ("health_certificate_too_old", LegalBasis(policy="rp-2013.1-shanghai", article="§30.5")),
    ]


async def test_a_missing_registration_and_an_expired_certificate_are_asked_for(
    service: None, bus: Bus
) -> None:
    app = new_id()
    changes = {
        "registration_number": None,
        "documents": [
            {
                "kind": "health",
                "registry_id": "h-1",
                "issuer": "clinic",
                "issued_on": "2025-08-01",
                "valid_until": "2026-02-01",
            }
        ],
    }
    await bus.send(assess_command(app, **changes), app)
    (review,) = await bus.wait_for(rp.ResidencePermitReviewRequired, application_id=app)
    assert [(r.code, r.params) for r in review.reasons] == [
        ("registration_number_required", {}),
        ("document_expired", {"kind": "health", "registry_id": "h-1", "valid_until": "2026-02-01"}),
    ]
    assert review.missing_documents == ("registration_number", "health")
    assert bus.seen(rp.ResidencePermitRefused, application_id=app) == []


async def test_a_missing_health_certificate_asks_for_review(service: None, bus: Bus) -> None:
    app = new_id()
    await bus.send(assess_command(app, documents=[]), app)
    (review,) = await bus.wait_for(rp.ResidencePermitReviewRequired, application_id=app)
    assert review.missing_documents == ("health",)
    approve = rp.RecordResidencePermitOfficerDecision(
        application_id=app, decision="approve", officer="officer-1"
    )
    await bus.send(approve, app)
    (reserved,) = await bus.wait_for(rp.ResidencePermitReserved, application_id=app)
    assert NUMBER.fullmatch(reserved.permit_number)


async def test_a_cancelled_reservation_is_not_issued_afterwards(service: None, bus: Bus) -> None:
    app = new_id()
    await bus.send(assess_command(app), app)
    (reserved,) = await bus.wait_for(rp.ResidencePermitReserved, application_id=app)
    cancel = rp.CancelResidencePermitReservation(application_id=app, reason="counterpart_refused")
    await bus.send(cancel, app)
    (cancelled,) = await bus.wait_for(rp.ResidencePermitReservationCancelled, application_id=app)
    assert cancelled.permit_number == reserved.permit_number

    await bus.send(issue_command(app), app)
    (rejected,) = await bus.wait_for(rp.ResidencePermitIssueRejected, application_id=app)
    assert rejected.state == "cancelled"
    assert bus.seen(rp.ResidencePermitIssued, application_id=app) == []


async def test_a_redelivered_command_changes_nothing(
    service: None, bus: Bus, database: Any
) -> None:
    app = new_id()
    assess = await bus.send(assess_command(app), app)
    (reserved,) = await bus.wait_for(rp.ResidencePermitReserved, application_id=app)
    await bus.send(assess_command(app), app, envelope=assess)
    issue = await bus.send(issue_command(app), app)
    await bus.wait_for(rp.ResidencePermitIssued, application_id=app)
    await bus.send(issue_command(app), app, envelope=issue)
    # A genuinely new issue on the same key is answered after both redeliveries.
    await bus.send(issue_command(app), app)
    await bus.wait_for(rp.ResidencePermitIssueRejected, application_id=app)

    assert len(bus.seen(rp.ResidencePermitReserved, application_id=app)) == 1
    (issued,) = bus.seen(rp.ResidencePermitIssued, application_id=app)
    assert issued.permit_number == reserved.permit_number
    commits = await database["commits"].count_documents({"stream": f"residence-permit-{app}"})
    assert commits == 3, "assess, issue and the new issue; the redeliveries added nothing"


async def test_fifty_concurrent_issues_get_fifty_distinct_permit_numbers(
    service: None, bus: Bus
) -> None:
    apps = [new_id() for _ in range(50)]
    await asyncio.gather(*(bus.send(assess_command(a), a) for a in apps))
    await bus.wait_until(
        lambda: all(bus.seen(rp.ResidencePermitReserved, application_id=a) for a in apps)
    )
    await asyncio.gather(*(bus.send(issue_command(a), a) for a in apps))
    await bus.wait_until(
        lambda: all(bus.seen(rp.ResidencePermitIssued, application_id=a) for a in apps)
    )
    numbers = {bus.seen(rp.ResidencePermitIssued, application_id=a)[0].permit_number for a in apps}
    assert len(numbers) == 50


async def test_an_extension_of_a_permit_not_issued_is_refused(service: None, bus: Bus) -> None:
    app = new_id()
    await bus.send(assess_command(app), app)
    await bus.wait_for(rp.ResidencePermitReserved, application_id=app)
    extension = f"ext-{app}"
    extend = rp.ExtendResidencePermit(
        extension_id=extension, application_id=app, work_permit_valid_until=date(2031, 4, 30)
    )
    await bus.send(extend, extension)
    (refused,) = await bus.wait_for(rp.ResidencePermitExtensionRefused, extension_id=extension)
    assert [r.code for r in refused.reasons] == ["document_not_found"]


async def test_a_reservation_never_confirmed_lapses_and_cannot_be_issued(
    service: None, bus: Bus, clock: ManualClock
) -> None:
    app = new_id()
    await bus.send(assess_command(app), app)
    (reserved,) = await bus.wait_for(rp.ResidencePermitReserved, application_id=app)
    try:
        clock.set(reserved.reserved_until + timedelta(seconds=1))
        (expired,) = await bus.wait_for(rp.ResidencePermitReservationExpired, application_id=app)
        assert expired.permit_number == reserved.permit_number
        await bus.send(issue_command(app), app)
        (rejected,) = await bus.wait_for(rp.ResidencePermitIssueRejected, application_id=app)
        assert rejected.state == "expired"
    finally:
        clock.set(START)
