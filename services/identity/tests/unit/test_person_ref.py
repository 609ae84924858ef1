"""Persons: the same passport is the same person, known only by an opaque reference."""

from __future__ import annotations

import pytest

from onewindow.identity.domain.person import PassportHolder, person_ref

SECRET = b"test-secret"


@pytest.mark.parametrize(
    ("rule", "first", "second"),
    [
        ("same_passport_same_person", ("NLD", "NX4K2P7R1"), ("NLD", "NX4K2P7R1")),
        ("case_does_not_matter", ("NLD", "NX4K2P7R1"), ("nld", "nx4k2p7r1")),
        ("spacing_does_not_matter", ("NLD", "NX4K2P7R1"), (" NLD", "NX4K 2P7R1 ")),
    ],
)
def test_same_person_gets_same_ref(
    rule: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert person_ref(*first, SECRET) == person_ref(*second, SECRET), rule


@pytest.mark.parametrize(
    ("rule", "first", "second"),
    [
        ("other_number_other_person", ("NLD", "NX4K2P7R1"), ("NLD", "NX4K2P7R2")),
        ("same_number_other_country_other_person", ("NLD", "NX4K2P7R1"), ("BEL", "NX4K2P7R1")),
        # "NL" + "DNX…" must not collide with "NLD" + "NX…"
        ("fields_do_not_run_together", ("NL", "DNX4K2P7R1"), ("NLD", "NX4K2P7R1")),
    ],
)
def test_different_persons_get_different_refs(
    rule: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert person_ref(*first, SECRET) != person_ref(*second, SECRET), rule


def test_ref_is_opaque_and_keyed() -> None:
    ref = person_ref("NLD", "NX4K2P7R1", SECRET)
    assert ref.startswith("P-")
    assert len(ref) == 2 + 24
    assert "NX4K2P7R1" not in ref.upper()
    assert ref != person_ref("NLD", "NX4K2P7R1", b"another-secret")


def test_ref_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        person_ref("NLD", "NX4K2P7R1", b"")


def test_holder_normalises_and_gives_the_same_ref() -> None:
    holder = PassportHolder("nld", " nx4k2p7r1")
    assert holder == PassportHolder("NLD", "NX4K2P7R1")
    assert holder.ref(SECRET) == person_ref("NLD", "NX4K2P7R1", SECRET)
