"""Applicant binding (DOMAIN.md "Evidence"): no unverified account blocks a verified applicant.

A case whose submitter's account was verified for the passport takes the open-case
claim from an unverified holder; the displaced case is flagged `unverified_applicant`
for an officer, never refused as a duplicate, and never takes the claim again.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest

from onewindow.contracts.v1.common import Employer, ResolvedDocument
from onewindow.identity.domain.case import (
    CaseDisplaced,
    CaseEnded,
    CaseRejected,
    CaseVerified,
    IdentityCase,
)
from onewindow.identity.domain.events import DomainEvent
from onewindow.identity.domain.open_case import (
    CaseAlreadyOpen,
    CaseClaimed,
    CaseReleased,
    OpenCase,
)
from onewindow.identity.domain.person import PassportHolder
from onewindow.identity.domain.registry import EmployerRecord
from onewindow.identity.domain.verification import (
    CaseToVerify,
    RegistryFacts,
    Rejected,
    Verified,
    verify,
)

USCC = "91310104MA1FL5KX1N"
ANNA = PassportHolder("NLD", "NX4K2P7R1")


# --- the claim -----------------------------------------------------------------------------

UNVERIFIED_HOLDER = OpenCase("SQUAT")
VERIFIED_HOLDER = OpenCase("FIRST", holder_verified=True)

CLAIMS: list[tuple[str, OpenCase, bool, list[DomainEvent] | str]] = [
    (
        "a_verified_applicant_displaces_an_unverified_holder",
        UNVERIFIED_HOLDER,
        True,
        [CaseClaimed(application_id="MINE", verified=True, displaced="SQUAT")],
    ),
    (
        "an_unverified_case_is_a_duplicate_of_an_unverified_holder",
        UNVERIFIED_HOLDER,
        False,
        "SQUAT",
    ),
    ("an_unverified_case_is_a_duplicate_of_a_verified_holder", VERIFIED_HOLDER, False, "FIRST"),
    ("a_verified_case_is_a_duplicate_of_a_verified_holder", VERIFIED_HOLDER, True, "FIRST"),
    (
        "a_verified_applicant_takes_a_free_claim_and_says_it_is_verified",
        OpenCase(),
        True,
        [CaseClaimed(application_id="MINE", verified=True)],
    ),
]


@pytest.mark.parametrize(
    ("rule", "claim", "verified", "expected"), CLAIMS, ids=[c[0] for c in CLAIMS]
)
def test_who_takes_the_claim(
    rule: str, claim: OpenCase, verified: bool, expected: list[DomainEvent] | str
) -> None:
    claim = copy.deepcopy(claim)  # taking it changes it, and the rows share their claims
    if isinstance(expected, str):
        with pytest.raises(CaseAlreadyOpen) as raised:
            claim.claim("MINE", verified=verified)
        assert raised.value.open_application_id == expected
        assert claim.duplicate_for("MINE", verified=verified) == expected
    else:
        assert claim.duplicate_for("MINE", verified=verified) is None
        assert claim.claim("MINE", verified=verified) == expected


DISPLACEMENT = [
    CaseClaimed(application_id="SQUAT"),
    CaseClaimed(application_id="MINE", verified=True, displaced="SQUAT"),
]


def test_the_history_remembers_who_displaced_whom() -> None:
    claim = OpenCase.replay(DISPLACEMENT)
    assert (claim.holder, claim.holder_verified) == ("MINE", True)
    assert claim.was_displaced("SQUAT")
    assert not claim.was_displaced("MINE")
    assert claim.displaced_by("MINE") == ("SQUAT",)


@pytest.mark.parametrize(
    ("rule", "history"),
    [
        ("while_the_verified_case_is_open", DISPLACEMENT),
        ("after_the_verified_case_closed", [*DISPLACEMENT, CaseReleased(application_id="MINE")]),
    ],
)
def test_a_displaced_case_never_takes_the_claim_again(
    rule: str, history: list[DomainEvent]
) -> None:
    assert OpenCase.replay(history).claim("SQUAT") == [], rule


def test_a_claim_recorded_before_v1_1_was_an_unverified_one() -> None:
    stored = CaseClaimed.model_validate({"application_id": "OLD"})
    assert OpenCase.replay([stored]).holder_verified is False


# --- verification ---------------------------------------------------------------------------


def case(application_id: str = "MINE", *, verified: bool = False) -> CaseToVerify:
    return CaseToVerify(
        application_id=application_id,
        holder=ANNA,
        passport_expires_on=date(2033, 10, 31),
        employer_uscc=USCC,
        documents=(),
        application_date=date(2027, 1, 4),
        verified_applicant=verified,
    )


def facts(claim: OpenCase, *, watchlisted: bool = False) -> RegistryFacts:
    return RegistryFacts(
        employer=EmployerRecord(uscc=USCC, name="Xuhui Labs", licence_valid_until=date(2031, 1, 1)),
        certificates={},
        watchlisted=watchlisted,
        open_case=claim,
    )


DISPLACED = OpenCase.replay(DISPLACEMENT)
VERIFICATIONS: list[tuple[str, CaseToVerify, RegistryFacts, tuple[str, ...] | str]] = [
    (
        "a_verified_applicant_goes_ahead_of_a_squatter",
        case(verified=True),
        facts(UNVERIFIED_HOLDER),
        (),
    ),
    ("an_unverified_second_case_is_a_duplicate", case(), facts(UNVERIFIED_HOLDER), "SQUAT"),
    (
        "a_verified_second_case_of_a_verified_holder_is_a_duplicate",
        case(verified=True),
        facts(VERIFIED_HOLDER),
        "FIRST",
    ),
    (
        "the_displaced_case_goes_to_an_officer",
        case("SQUAT"),
        facts(DISPLACED),
        ("unverified_applicant",),
    ),
    (
        "the_displaced_case_keeps_its_other_flags",
        case("SQUAT"),
        facts(DISPLACED, watchlisted=True),
        ("watchlist_match", "unverified_applicant"),
    ),
    (
        "the_verified_holder_is_verified_again_without_flags",
        case(verified=True),
        facts(DISPLACED),
        (),
    ),
]


@pytest.mark.parametrize(
    ("rule", "to_verify", "registry", "expected"),
    VERIFICATIONS,
    ids=[v[0] for v in VERIFICATIONS],
)
def test_verification_of_verified_and_unverified_applicants(
    rule: str, to_verify: CaseToVerify, registry: RegistryFacts, expected: tuple[str, ...] | str
) -> None:
    result = verify(to_verify, registry)
    if isinstance(expected, str):
        assert isinstance(result, Rejected), rule
        assert result.duplicate_of == expected
        assert [r.code for r in result.reasons] == ["duplicate_application"]
    else:
        assert isinstance(result, Verified), rule
        assert result.flags == expected


@pytest.mark.parametrize(
    ("claim", "named"),
    [
        ("NLD:NX4K2P7R1", True),
        ("nld:nx4k2p7r1", True),
        ("NLD:NX4K2P7R2", False),
        ("BEL:NX4K2P7R1", False),
        ("NX4K2P7R1", False),
        (None, False),
    ],
)
def test_a_passport_claim_names_its_holder(claim: str | None, named: bool) -> None:
    assert ANNA.is_named_by(claim) is named


# --- the displaced case's own record -----------------------------------------------------------

EMPLOYER = Employer(uscc=USCC, name="Xuhui Labs", licence_valid_until=date(2031, 1, 1))
HEALTH = ResolvedDocument(
    kind="health", registry_id="H-1", issuer="clinic", issued_on=date(2026, 12, 1)
)
SQUAT_VERIFIED = CaseVerified(
    application_id="SQUAT", person_ref="P-1", employer=EMPLOYER, documents=(HEALTH,)
)
BY_MINE = CaseDisplaced(application_id="SQUAT", by="MINE")
FLAGGED = SQUAT_VERIFIED.model_copy(update={"flags": ("unverified_applicant",)})

DISPLACE: list[tuple[str, list[DomainEvent], list[DomainEvent]]] = [
    ("a_verified_open_case_is_verified_again_with_the_flag", [SQUAT_VERIFIED], [BY_MINE, FLAGGED]),
    ("a_case_not_verified_yet_gets_the_flag_from_its_verification", [], [BY_MINE]),
    (
        "a_case_whose_verification_carries_the_flag_already_is_not_told_twice",
        [FLAGGED],
        [BY_MINE],
    ),
    (
        "a_rejected_case_has_no_verification_to_flag",
        [CaseRejected(application_id="SQUAT", person_ref="P-1", employer_uscc=USCC, reasons=())],
        [BY_MINE],
    ),
    (
        "a_closed_case_is_left_alone",
        [SQUAT_VERIFIED, CaseEnded(application_id="SQUAT", outcome="withdrawn")],
        [],
    ),
    ("a_case_is_displaced_once", [SQUAT_VERIFIED, BY_MINE, FLAGGED], []),
]


@pytest.mark.parametrize(("rule", "history", "events"), DISPLACE, ids=[d[0] for d in DISPLACE])
def test_displacing_a_case(
    rule: str, history: list[DomainEvent], events: list[DomainEvent]
) -> None:
    assert IdentityCase.replay("SQUAT", history).displace("MINE") == events, rule


def test_the_displaced_case_remembers_by_whom() -> None:
    state = IdentityCase.replay("SQUAT", [SQUAT_VERIFIED, BY_MINE, FLAGGED])
    assert state.displaced_by == "MINE"
    assert state.latest == FLAGGED


def test_cited_documents_are_kept_when_the_flag_is_added() -> None:
    (_, flagged) = IdentityCase.replay("SQUAT", [SQUAT_VERIFIED]).displace("MINE")
    assert isinstance(flagged, CaseVerified)
    assert flagged.documents == (HEALTH,)
