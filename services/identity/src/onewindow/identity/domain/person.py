"""Persons: one nationality and passport number is one person, whatever the channel.

A person is known on the bus, in keys and in logs only by an opaque reference
derived with a keyed hash, so the passport number never leaves the registry.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PERSON_REF_PREFIX = "P-"
# 24 hex digits = 96 bits: collisions are out of reach for any population of
# applicants, and the reference stays short enough for stream names and logs.
PERSON_REF_HEX_DIGITS = 24


@dataclass(frozen=True, slots=True)
class PassportHolder:
    """A person as the passport names them: issuing nationality and passport number.

    Normalised (upper case, no surrounding or inner spaces) so that the same
    passport typed at a window and read by a kiosk is the same holder.
    """

    nationality: str
    passport_number: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "nationality", normalise(self.nationality))
        object.__setattr__(self, "passport_number", normalise(self.passport_number))

    def ref(self, secret: bytes) -> str:
        """The person's opaque reference; see `person_ref`."""
        return person_ref(self.nationality, self.passport_number, secret)

    def is_named_by(self, passport_claim: str | None) -> bool:
        """Whether a verified account's passport claim (`NAT:NUMBER`) names this holder."""
        if passport_claim is None:
            return False
        nationality, separator, number = passport_claim.partition(":")
        return bool(separator) and PassportHolder(nationality, number) == self


def normalise(text: str) -> str:
    """Upper case without spaces: how passports and country codes compare."""
    return "".join(text.split()).upper()


def person_ref(nationality: str, passport_number: str, secret: bytes) -> str:
    """The opaque, deterministic reference of the person holding this passport.

    The same nationality and passport number (in any case or spacing) always give
    the same reference under the same secret; without the secret the reference
    reveals nothing about the passport. Format: ``P-`` and 24 lower-case hex digits.
    """
    if not secret:
        raise ValueError("the person reference needs a non-empty secret")
    message = f"{normalise(nationality)}:{normalise(passport_number)}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).hexdigest()
    return PERSON_REF_PREFIX + digest[:PERSON_REF_HEX_DIGITS]
