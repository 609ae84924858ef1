"""What the gateway's unit tests share: tokens, a valid application, fakes of the ports.

The fakes subclass the real adapters (cosmicpython's way), keep their state in
memory, and let a test see what would have been stored or published.
"""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
from fastapi import APIRouter, FastAPI

from onewindow.contracts.envelope import Envelope
from onewindow.contracts.message import Message
from onewindow.gateway.adapters.mongo import CaseFacts, CaseOwners, IdempotencyRecords
from onewindow.gateway.adapters.upload_store import UploadStore, UploadWriter
from onewindow.gateway.application.gateway import Gateway
from onewindow.gateway.application.uploads import Uploads
from onewindow.gateway.bootstrap import bootstrap
from onewindow.gateway.domain.errors import UpstreamUnavailable
from onewindow.gateway.domain.idempotency import Claim, StoredResponse
from onewindow.gateway.domain.ownership import CaseOwner
from onewindow.gateway.domain.uploads import Upload
from onewindow.gateway.settings import DEVELOPMENT_JWT_SECRET, GatewaySettings
from onewindow.runtime.bus import CommandBus
from onewindow.runtime.clock import ManualClock
from onewindow.runtime.service_tokens import (
    CredentialRefused,
    ServiceCredential,
    ServiceCredentialVerifier,
)
from onewindow.runtime.validation import build_td3
from onewindow.runtime.vault import Keyring

SECRET = "unit-test-secret-long-enough-for-hs256"  # noqa: S105 - a test key, not a secret
# The service secret of the unit gateway (not the development one, so it starts in any
# ONEWINDOW_ENV); its fakes of identity and the permit services check it.
SERVICE_SECRET = "unit-test-service-secret-long-enough-for-hs256"  # noqa: S105 - a test key
AUDIENCE = "onewindow"
# 10:00 in Shanghai on Monday 1 June 2026.
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
TODAY = date(2026, 6, 1)
USCC = "91310104MA1FL5KX1N"
OTHER_USCC = "91310000MA1K000006"
PROBLEMS = "https://onewindow.example/problems/"


def make_token(
    role: str = "applicant",
    sub: str = "anna",
    *,
    uscc: str | None = None,
    secret: str = SECRET,
    audience: str = AUDIENCE,
    expires_in: float = 3600,
    now: datetime = NOW,
    **extra: Any,
) -> str:
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "aud": audience,
        "exp": int(now.timestamp() + expires_in),
        **extra,
    }
    if uscc is not None:
        claims["uscc"] = uscc
    return jwt.encode(claims, secret, algorithm="HS256")


def auth(role: str = "applicant", sub: str = "anna", **kwargs: Any) -> dict[str, str]:
    """Headers of a caller with a valid token."""
    return {"Authorization": f"Bearer {make_token(role, sub, **kwargs)}"}


def service_credential(request: httpx.Request, audience: str) -> ServiceCredential:
    """The gateway's credential on a request to `audience`'s internal API, verified as the
    service would (`CredentialRefused` when it would refuse it)."""
    verifier = ServiceCredentialVerifier(SERVICE_SECRET, audience=audience, callers=["gateway"])
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    assert scheme == "Bearer", request.headers
    return verifier.verify(token)


# The MRZ of API.md's example applicant (Anna de Jong, passport NX4K2P7R1).
MRZ = build_td3(
    surname="DE JONG",
    given_names="ANNA",
    passport_number="NX4K2P7R1",
    nationality="NLD",
    date_of_birth=date(1984, 8, 12),
    expires_on=date(2033, 10, 31),
    sex="F",
)


def application(**changes: Any) -> dict[str, Any]:
    """A valid body of `POST /v1/applications` (API.md's example), MRZ included."""
    mrz = MRZ
    body: dict[str, Any] = {
        "applicant": {
            "surname": "DE JONG",
            "given_names": "ANNA",
            "sex": "F",
            "date_of_birth": "1984-08-12",
            "nationality": "NLD",
            "passport": {"number": "NX4K2P7R1", "expires_on": "2033-10-31", "mrz": list(mrz)},
            "email": "anna@example.org",
            "phone": "+8613800000000",
        },
        "employer": {"uscc": USCC, "contact_email": "hr@example.com"},
        "position": {
            "title": "Chief Scientist",
            "annual_salary_cny": 900000,
            "contract_start": "2027-01-04",
            "contract_end": "2030-01-03",
            "months_in_china_per_year": 12,
        },
        "qualifications": {
            "education": "doctorate",
            "experience_years": 15,
            "hsk_level": 0,
            "chinese_taught_degree": False,
            "bonuses": ["top_university", "patent"],
        },
        "residence": {
            "address": "1 Caoxi Road, Xuhui District, Shanghai",
            "registration_number": "XH-2026-000123",
        },
        "documents": [
            {"kind": "degree", "registry_id": "deg-1"},
            {"kind": "health", "registry_id": "hea-1"},
            {"kind": "criminal_record", "registry_id": "crc-1"},
        ],
        "commitments": {"criminal_record": False},
        "channel": "online",
        "language": "en",
    }
    for path, value in changes.items():
        set_path(body, path, value)
    return body


def set_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.b.0.c` in a nested body (a value of `DELETE` removes the member)."""
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


DELETE = object()


class FakeClaims(IdempotencyRecords):
    def __init__(self) -> None:
        self.records: dict[str, Claim] = {}

    async def ensure_indexes(self) -> None:
        return None

    async def insert(self, claim: Claim) -> bool:
        if claim.id in self.records:
            return False
        self.records[claim.id] = claim
        return True

    async def get(self, claim_id: str) -> Claim | None:
        return self.records.get(claim_id)

    async def take_over(self, claim: Claim, lease_until: datetime) -> bool:
        current = self.records.get(claim.id)
        if current is None or current.state != "processing":
            return False
        if current.lease_until != claim.lease_until:
            return False
        self.records[claim.id] = replace(current, lease_until=lease_until)
        return True

    async def complete(self, claim: Claim, response: StoredResponse) -> None:
        self.records[claim.id] = replace(
            self.records[claim.id], state="done", response=copy.deepcopy(response)
        )

    async def release(self, claim: Claim) -> None:
        current = self.records.get(claim.id)
        if current and current.state == "processing" and current.lease_until == claim.lease_until:
            del self.records[claim.id]


class FakeOwners(CaseOwners):
    def __init__(self) -> None:
        self.owned: dict[str, CaseOwner] = {}
        self.facts: dict[str, dict[str, Any]] = {}
        self.extension_records: dict[str, CaseOwner] = {}

    async def record(self, owner: CaseOwner, **facts: Any) -> None:
        self.owned[owner.application_id] = owner
        self.facts[owner.application_id] = facts

    async def evidence_of(self, application_id: str) -> dict[str, Any] | None:
        facts = self.facts.get(application_id, {})
        if "holder" not in facts:
            return None
        return {"holder": facts["holder"], "cited": facts.get("cited", [])}

    async def of_case(self, application_id: str) -> CaseOwner | None:
        return self.owned.get(application_id)

    async def record_extension(self, extension_id: str, owner: CaseOwner, **facts: Any) -> None:
        self.extension_records[extension_id] = owner


class FakeFacts(CaseFacts):
    def __init__(self) -> None:
        self.status_of: dict[str, str] = {}
        self.case_of: dict[str, str] = {}

    async def status(self, application_id: str) -> str | None:
        return self.status_of.get(application_id)

    async def case_of_permit(self, work_permit_number: str) -> str | None:
        return self.case_of.get(work_permit_number)


class FakeWriter(UploadWriter):
    def __init__(self, store: FakeUploadStore, upload_id: str) -> None:
        self.store, self.upload_id = store, upload_id
        store.written[upload_id] = []

    async def write(self, data: bytes) -> None:
        if data:
            self.store.written[self.upload_id].append(data)

    async def finish(self, upload: Upload) -> None:
        self.store.stored[self.upload_id] = upload

    async def abort(self) -> None:
        del self.store.written[self.upload_id]


class FakeUploadStore(UploadStore):
    """Uploads in memory: `stored` the finished ones, `written` every chunk not deleted."""

    def __init__(self) -> None:
        self.stored: dict[str, Upload] = {}
        self.written: dict[str, list[bytes]] = {}

    async def ensure_indexes(self) -> None:
        return None

    def open(self, upload_id: str) -> UploadWriter:
        return FakeWriter(self, upload_id)

    async def find(self, upload_ids: Collection[str]) -> dict[str, Upload]:
        return {i: self.stored[i] for i in upload_ids if i in self.stored}

    async def content(self, upload_id: str) -> AsyncIterator[bytes]:
        for chunk in self.written.get(upload_id, []) if upload_id in self.stored else []:
            yield chunk

    def add(self, upload: Upload, content: bytes = b"%PDF-1.7 test") -> Upload:
        self.stored[upload.upload_id], self.written[upload.upload_id] = upload, [content]
        return upload


@dataclass
class Sent:
    command: Message
    key: str
    envelope: Envelope


class FakeBus(CommandBus):
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.failing = False
        self.before_send: Callable[[], Any] | None = None

    async def send(self, command: Message, *, key: str, envelope: Envelope) -> None:
        if self.before_send is not None:
            await self.before_send()
        if self.failing:
            raise UpstreamUnavailable("the bus is down (test)")
        self.sent.append(Sent(command, key, envelope))


@dataclass
class Identity:
    """A stand-in for identity's internal API: records requests, refuses those without
    the gateway's service credential as identity would (401), answers others as told."""

    requests: list[httpx.Request] = field(default_factory=list)
    answer: Callable[[httpx.Request], httpx.Response] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        try:
            service_credential(request, "identity")
        except CredentialRefused as refused:
            return httpx.Response(401, json={"detail": refused.detail})
        if self.answer is not None:
            return self.answer(request)
        body = request.content or b"{}"
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})


class FakeKeyring(Keyring):
    """The vault's keys in a dict: made at submission, destroyed by an erasure."""

    def __init__(self) -> None:  # no database: no super()
        self.made: dict[str, tuple[str, bytes]] = {}

    async def create(self, key_id: str, person: str, *, at: datetime) -> None:
        self.made.setdefault(key_id, (person, b"k" * 32))

    async def key(self, key_id: str) -> bytes | None:
        made = self.made.get(key_id)
        return None if made is None else made[1]


@dataclass
class UnitGateway:
    """The gateway app over fakes, and the fakes to look into."""

    app: FastAPI
    clock: ManualClock
    claims: FakeClaims
    owners: FakeOwners
    facts: FakeFacts
    bus: FakeBus
    identity: Identity
    uploads: FakeUploadStore

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")

    def nothing_stored_or_sent(self) -> bool:
        return not (self.claims.records or self.owners.owned or self.bus.sent)


def unit_gateway(routers: list[APIRouter] | None = None, **overrides: Any) -> UnitGateway:
    """The gateway app over fakes; `overrides` change its settings."""
    clock = ManualClock(NOW)
    identity = Identity()
    settings = GatewaySettings(
        **{
            "jwt_secret": SECRET,
            "jwt_audience": AUDIENCE,
            "service_secret": SERVICE_SECRET,
            **overrides,
        }
    )
    app = bootstrap(
        settings,
        routers=routers or [],
        clock=clock,
        identity_transport=httpx.MockTransport(identity),
    )
    claims, owners, facts, bus = FakeClaims(), FakeOwners(), FakeFacts(), FakeBus()
    uploads = FakeUploadStore()
    app.state.uploads = Uploads(uploads, clock, limit=settings.max_upload_bytes)
    app.state.gateway = Gateway(
        claims=claims,
        owners=owners,
        facts=facts,
        bus=bus,
        clock=clock,
        lease=timedelta(seconds=60),
        uploads=app.state.uploads,
        keyring=FakeKeyring(),
        person_secret=SERVICE_SECRET,
    )
    return UnitGateway(app, clock, claims, owners, facts, bus, identity, uploads)


def wall_clock_token(role: str, sub: str, **kwargs: Any) -> str:
    """A token valid now by the machine's clock, signed with the development key
    (for a gateway on the system clock and default settings)."""
    kwargs.setdefault("secret", DEVELOPMENT_JWT_SECRET)
    return make_token(role, sub, now=datetime.fromtimestamp(time.time(), UTC), **kwargs)
