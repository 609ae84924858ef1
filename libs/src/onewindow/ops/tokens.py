"""The gateway's bearer tokens as a client makes them (API.md "Auth").

The gateway verifies HS256 tokens for an audience; `onewindow token` and the seeding of
tests and demos sign them. Both take the defaults and the `passport` claim's form from
here, so a local token works without configuration and says what the gateway reads.
"""

from __future__ import annotations

from onewindow.runtime.validation import InvalidInput, validate_country, validate_passport_number

# The development signing key. It is public (it is written here), so a deployment
# that faces anyone but its own developer must set GATEWAY_JWT_SECRET; `onewindow
# token` signs with the same default, so local tokens work without configuration.
DEVELOPMENT_JWT_SECRET = "onewindow-development-key-not-for-production"  # noqa: S105 - public by design
DEFAULT_AUDIENCE = "onewindow"
CLAIM_SEPARATOR = ":"


def passport_claim(nationality: str, passport_number: str) -> str:
    """The canonical `NAT:NUMBER` of a passport (upper case, no spaces)."""
    return f"{nationality.strip().upper()}{CLAIM_SEPARATOR}{passport_number.strip().upper()}"


def parse_passport_claim(text: str) -> str:
    """The canonical form of a token's `passport` claim; `InvalidInput` if it is not one.

    The nationality must be an ISO 3166-1 alpha-3 code and the number 5–9 letters or
    digits, as at the door.
    """
    nationality, separator, number = text.partition(CLAIM_SEPARATOR)
    if not separator:
        raise InvalidInput("passport", f"a passport claim is NAT:NUMBER, got {text!r}")
    return passport_claim(validate_country(nationality), validate_passport_number(number))
