"""The VerifyIdentity and CloseCase handlers: the claim, its release, crash and race safety.

Runs against the runtime's in-memory event store (the real store's version guard and
handled-message record; `before_append` and `force` play another writer); the service
tests run the same handlers on Kafka and FerretDB.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from onewindow.contracts.envelope import Envelope, new_envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1.common import DocumentRef
from onewindow.contracts.v1.identity import (
    CaseClosed,
    CloseCase,
    IdentityRejected,
    IdentityVerified,
    VerifyIdentity,
)
from onewindow.identity.application.registry import Registry
from onewindow.identity.application.streams import case_stream, history, open_case_stream
from onewindow.identity.application.verification import IdentityVerification
from onewindow.identity.domain.case import CaseDisplaced, CaseEnded, CaseVerified
from onewindow.identity.domain.open_case import CaseClaimed, OpenCase
from onewindow.identity.domain.person import PassportHolder
from onewindow.identity.domain.registry import (
    CertificateRecord,
    EmployerRecord,
    Holder,
    Recorder,
)
from onewindow.runtime.memory import MemoryEventStore

SECRET = b"unit-secret"
USCC = "91310104MA1FL5KX1N"
PERSON = PassportHolder("NLD", "NX4K2P7R1")
PERSON_REF = PERSON.ref(SECRET)
CLAIM = open_case_stream(PERSON_REF, USCC)
CLERK = Recorder(sub="carl", role="clerk")


class MemoryViews:
    """Certificates by holder, as the Mongo view keeps them (latest version shown)."""

    def __init__(self) -> None:
        self.shown: dict[str, tuple[str, CertificateRecord]] = {}

    async def put(self, certificate: CertificateRecord, person_ref: str, version: int) -> None:
        self.shown[certificate.certificate_id] = (person_ref, certificate)

    async def held_by(self, person_ref: str) -> list[CertificateRecord]:
        return [
            c
            for ref, c in sorted(self.shown.values(), key=lambda s: s[1].certificate_id)
            if ref == person_ref
        ]


@pytest.fixture
async def world() -> tuple[MemoryEventStore, Registry, IdentityVerification]:
    store = MemoryEventStore()
    registry = Registry(store, MemoryViews(), SECRET)
    await registry.record_employer(
        EmployerRecord(uscc=USCC, name="Xuhui Labs", licence_valid_until=date(2031, 1, 1)), CLERK
    )
    await registry.record_certificate(
        CertificateRecord(
            certificate_id="H-1",
            kind="health",
            holder=Holder(nationality="NLD", passport_number="NX4K2P7R1"),
            issued_on=date(2026, 12, 1),
            valid_until=date(2027, 6, 1),
        ),
        CLERK,
    )
    return store, registry, IdentityVerification(store, registry)


def verify_command(application_id: str, **changes: object) -> VerifyIdentity:
    fields: dict[str, object] = {
        "application_id": application_id,
        "nationality": "NLD",
        "passport_number": "NX4K2P7R1",
        "passport_expires_on": date(2033, 10, 31),
        "date_of_birth": date(1984, 8, 12),
        "employer_uscc": USCC,
        "documents": (DocumentRef(kind="health", registry_id="H-1"),),
        "application_date": date(2027, 1, 4),
    }
    return VerifyIdentity.model_validate(fields | changes)


def envelope_for(message: Message, application_id: str) -> Envelope:
    return new_envelope(
        message.TYPE, source="tests", correlation_id=application_id, id=str(uuid.uuid4())
    )


async def holder_of_claim(store: MemoryEventStore) -> str | None:
    return OpenCase.replay(history(await store.load(CLAIM))).holder


def sent(store: MemoryEventStore, application_id: str) -> list[Message]:
    return [o.message for o in store.published if o.key == application_id]


World = tuple[MemoryEventStore, Registry, IdentityVerification]


async def test_verified_case_takes_the_claim(world: World) -> None:
    store, _, service = world
    command = verify_command("A-1")
    await service.verify_identity(command, envelope_for(command, "A-1"))
    assert [type(m) for m in sent(store, "A-1")] == [IdentityVerified]
    assert await holder_of_claim(store) == "A-1"


async def test_rejected_case_does_not_take_the_claim(world: World) -> None:
    store, _, service = world
    command = verify_command("A-1", passport_expires_on=date(2026, 1, 1))
    await service.verify_identity(command, envelope_for(command, "A-1"))
    assert [type(m) for m in sent(store, "A-1")] == [IdentityRejected]
    assert await holder_of_claim(store) is None


async def test_redelivery_after_a_lost_case_commit_finds_its_own_claim(world: World) -> None:
    store, _, service = world
    store.force(CLAIM, CaseClaimed(application_id="A-1"))  # claimed, then the process died
    command = verify_command("A-1")
    await service.verify_identity(command, envelope_for(command, "A-1"))
    assert [type(m) for m in sent(store, "A-1")] == [IdentityVerified]
    assert await holder_of_claim(store) == "A-1"


async def test_redelivery_now_rejected_releases_the_claim_it_had_taken(world: World) -> None:
    store, _, service = world
    store.force(CLAIM, CaseClaimed(application_id="A-1"))
    command = verify_command("A-1", documents=(DocumentRef(kind="health", registry_id="GONE"),))
    await service.verify_identity(command, envelope_for(command, "A-1"))
    assert [type(m) for m in sent(store, "A-1")] == [IdentityRejected]
    assert await holder_of_claim(store) is None


async def test_of_two_racing_cases_the_loser_is_a_duplicate_of_the_winner(world: World) -> None:
    store, _, service = world

    def rival_claims_first(stream: str) -> bool:
        if stream != CLAIM:
            return False
        store.force(CLAIM, CaseClaimed(application_id="A-RIVAL"))
        return True

    store.before_append = rival_claims_first
    command = verify_command("A-2")
    await service.verify_identity(command, envelope_for(command, "A-2"))
    [event] = sent(store, "A-2")
    assert isinstance(event, IdentityRejected)
    assert event.duplicate_of == "A-RIVAL"
    assert await holder_of_claim(store) == "A-RIVAL"


async def test_the_same_command_twice_is_handled_once(world: World) -> None:
    store, _, service = world
    command = verify_command("A-1")
    envelope = envelope_for(command, "A-1")
    await service.verify_identity(command, envelope)
    await service.verify_identity(command, envelope)
    assert [type(m) for m in sent(store, "A-1")] == [IdentityVerified]


async def test_a_redelivered_verification_after_closing_does_not_reclaim(world: World) -> None:
    store, _, service = world
    command = verify_command("A-1")
    envelope = envelope_for(command, "A-1")
    await service.verify_identity(command, envelope)
    close = CloseCase(application_id="A-1", outcome="withdrawn")
    await service.close_case(close, envelope_for(close, "A-1"))
    await service.verify_identity(command, envelope)
    assert await holder_of_claim(store) is None


async def test_a_case_closed_while_it_was_verified_is_verified_again_without_claim(
    world: World,
) -> None:
    store, _, service = world

    def closed_meanwhile(stream: str) -> bool:
        if stream != case_stream("A-1"):
            return False
        store.force(stream, CaseEnded(application_id="A-1", outcome="withdrawn"))
        return True

    store.before_append = closed_meanwhile
    command = verify_command("A-1")
    await service.verify_identity(command, envelope_for(command, "A-1"))
    assert [type(m) for m in sent(store, "A-1")] == [IdentityVerified]
    assert await holder_of_claim(store) is None


@pytest.mark.parametrize(
    ("rule", "verified_first", "person_ref"),
    [
        ("close_case_releases_the_claim_and_says_so", True, PERSON_REF),
        ("close_case_for_a_case_identity_never_saw_has_no_person", False, ""),
    ],
)
async def test_close_case(world: World, rule: str, verified_first: bool, person_ref: str) -> None:
    store, _, service = world
    if verified_first:
        command = verify_command("A-1")
        await service.verify_identity(command, envelope_for(command, "A-1"))
    close = CloseCase(application_id="A-1", outcome="approved")
    await service.close_case(close, envelope_for(close, "A-1"))
    assert sent(store, "A-1")[-1] == CaseClosed(application_id="A-1", person_ref=person_ref), rule
    assert await holder_of_claim(store) is None


async def test_closing_twice_says_so_once(world: World) -> None:
    store, _, service = world
    for close in (
        CloseCase(application_id="A-1", outcome="withdrawn"),
        CloseCase(application_id="A-1", outcome="refused"),
    ):
        await service.close_case(close, envelope_for(close, "A-1"))
    assert [type(m) for m in sent(store, "A-1")] == [CaseClosed]


async def test_closing_one_case_leaves_another_cases_claim_alone(world: World) -> None:
    store, _, service = world
    command = verify_command("A-1")
    await service.verify_identity(command, envelope_for(command, "A-1"))
    second = verify_command("A-2")
    await service.verify_identity(second, envelope_for(second, "A-2"))
    close = CloseCase(application_id="A-2", outcome="refused")
    await service.close_case(close, envelope_for(close, "A-2"))
    assert await holder_of_claim(store) == "A-1"


async def test_a_talent_recognition_held_in_the_registry_is_passed_on_uncited(
    world: World,
) -> None:
    store, registry, service = world
    await registry.record_certificate(
        CertificateRecord(
            certificate_id="T-1",
            kind="talent_recognition",
            holder=Holder(nationality="NLD", passport_number="NX4K2P7R1"),
            issued_on=date(2025, 5, 1),
            issuer="Shanghai Talent Programme",
        ),
        CLERK,
    )
    command = verify_command("A-1")  # cites the health certificate only
    await service.verify_identity(command, envelope_for(command, "A-1"))
    [event] = sent(store, "A-1")
    assert isinstance(event, IdentityVerified)
    assert [(d.kind, d.registry_id) for d in event.documents] == [
        ("health", "H-1"),
        ("talent_recognition", "T-1"),
    ]


async def test_an_expired_cited_certificate_verifies_and_says_until_when(world: World) -> None:
    store, _, service = world
    command = verify_command("A-1", application_date=date(2027, 6, 2))  # H-1 ended 1 June
    await service.verify_identity(command, envelope_for(command, "A-1"))
    [event] = sent(store, "A-1")
    assert isinstance(event, IdentityVerified)
    assert [(d.registry_id, d.valid_until) for d in event.documents] == [("H-1", date(2027, 6, 1))]


# --- verified applicants (v1.1, applicant binding) ---------------------------------------------

VERIFIED_PASSPORT = "NLD:NX4K2P7R1"


async def verified(service: IdentityVerification, application_id: str, **changes: object) -> None:
    command = verify_command(application_id, **changes)
    await service.verify_identity(command, envelope_for(command, application_id))


async def test_a_verified_applicant_displaces_an_unverified_squatter(world: World) -> None:
    store, _, service = world
    await verified(service, "SQUAT")
    await verified(service, "MINE", verified_passport=VERIFIED_PASSPORT)
    [mine] = sent(store, "MINE")
    assert isinstance(mine, IdentityVerified)
    assert mine.flags == ()
    assert await holder_of_claim(store) == "MINE"
    first, flagged = sent(store, "SQUAT")
    assert isinstance(first, IdentityVerified)
    assert isinstance(flagged, IdentityVerified)
    assert flagged.flags == ("unverified_applicant",)
    assert flagged.documents == first.documents
    squat = history(await store.load(case_stream("SQUAT")))
    assert CaseDisplaced(application_id="SQUAT", by="MINE") in squat


async def test_an_account_verified_for_another_passport_does_not_displace(world: World) -> None:
    store, _, service = world
    await verified(service, "SQUAT")
    await verified(service, "MINE", verified_passport="NLD:OTHER1234")
    [mine] = sent(store, "MINE")
    assert isinstance(mine, IdentityRejected)
    assert mine.duplicate_of == "SQUAT"
    assert [type(m) for m in sent(store, "SQUAT")] == [IdentityVerified]


async def test_an_unverified_case_is_a_duplicate_of_a_verified_applicants(world: World) -> None:
    store, _, service = world
    await verified(service, "MINE", verified_passport=VERIFIED_PASSPORT)
    await verified(service, "LATE")
    [late] = sent(store, "LATE")
    assert isinstance(late, IdentityRejected)
    assert late.duplicate_of == "MINE"


async def test_a_displaced_case_verified_later_is_flagged_and_never_claims(world: World) -> None:
    store, _, service = world
    await verified(service, "SQUAT")
    await verified(service, "MINE", verified_passport=VERIFIED_PASSPORT)
    await verified(service, "SQUAT")  # documents supplied: verified again
    assert await holder_of_claim(store) == "MINE"
    close = CloseCase(application_id="MINE", outcome="approved")
    await service.close_case(close, envelope_for(close, "MINE"))
    await verified(service, "SQUAT")
    assert await holder_of_claim(store) is None
    answers = sent(store, "SQUAT")
    assert [type(m) for m in answers] == [IdentityVerified] * 4
    assert [m.flags for m in answers if isinstance(m, IdentityVerified)] == [
        (),
        ("unverified_applicant",),
        ("unverified_applicant",),
        ("unverified_applicant",),
    ]


async def test_a_redelivered_verification_flags_the_displaced_case_once(world: World) -> None:
    store, _, service = world
    await verified(service, "SQUAT")
    command = verify_command("MINE", verified_passport=VERIFIED_PASSPORT)
    envelope = envelope_for(command, "MINE")
    await service.verify_identity(command, envelope)
    await service.verify_identity(command, envelope)
    assert [type(m) for m in sent(store, "SQUAT")] == [IdentityVerified] * 2
    assert [type(m) for m in sent(store, "MINE")] == [IdentityVerified]


async def test_a_claim_taken_over_before_a_crash_still_flags_the_squatter(world: World) -> None:
    store, _, service = world
    await verified(service, "SQUAT")
    # The takeover was recorded, then the process died before anything else.
    store.force(CLAIM, CaseClaimed(application_id="MINE", verified=True, displaced="SQUAT"))
    await verified(service, "MINE", verified_passport=VERIFIED_PASSPORT)
    assert [type(m) for m in sent(store, "MINE")] == [IdentityVerified]
    flagged = sent(store, "SQUAT")[-1]
    assert isinstance(flagged, IdentityVerified)
    assert flagged.flags == ("unverified_applicant",)


async def test_a_squatter_closed_before_is_not_flagged(world: World) -> None:
    store, _, service = world
    await verified(service, "SQUAT")
    close = CloseCase(application_id="SQUAT", outcome="withdrawn")
    await service.close_case(close, envelope_for(close, "SQUAT"))
    await verified(service, "MINE", verified_passport=VERIFIED_PASSPORT)
    assert [type(m) for m in sent(store, "SQUAT")] == [IdentityVerified, CaseClosed]
    assert await holder_of_claim(store) == "MINE"


async def test_a_squatter_displaced_while_it_was_verified_again_answers_with_the_flag(
    world: World,
) -> None:
    store, _, service = world
    await verified(service, "SQUAT")
    [first] = sent(store, "SQUAT")
    assert isinstance(first, IdentityVerified)

    def displaced_meanwhile(stream: str) -> bool:
        if stream != case_stream("SQUAT"):
            return False
        store.force(CLAIM, CaseClaimed(application_id="MINE", verified=True, displaced="SQUAT"))
        flagged = CaseVerified(
            application_id="SQUAT",
            person_ref=first.person_ref,
            employer=first.employer,
            documents=first.documents,
            flags=("unverified_applicant",),
        )
        store.force(stream, CaseDisplaced(application_id="SQUAT", by="MINE"), flagged)
        return True

    store.before_append = displaced_meanwhile
    await verified(service, "SQUAT")
    answer = sent(store, "SQUAT")[-1]
    assert isinstance(answer, IdentityVerified)
    assert answer.flags == ("unverified_applicant",)
    assert await holder_of_claim(store) == "MINE"
