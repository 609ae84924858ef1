"""Which fields of the v1 contracts carry personal data (DOMAIN.md "Personal data").

Names, passport numbers, e-mail addresses, phone numbers, dates of birth and addresses,
by field name wherever they appear (`passport.number` and `passport.mrz` by their
parent). Operator views redact these fields (`ops.redaction`); the vault seals them under
the case's key so that erasing the person makes them unreadable (`runtime.vault`).
"""

from __future__ import annotations

PERSONAL_FIELDS = frozenset(
    {
        "surname",
        "given_names",
        "date_of_birth",
        "passport_number",
        "mrz",
        "email",
        "contact_email",
        "employer_email",
        "phone",
        "address",
        "registration_number",
        "recipient",
        "verified_passport",
    }
)
PERSONAL_CHILDREN = {"passport": frozenset({"number", "mrz"})}
# Personal as a text (an actor's verified passport, `NAT:NUMBER`), not as the passport
# object of a form (whose number is personal, its expiry date not).
PERSONAL_TEXTS = frozenset({"passport"})


def is_personal(field: str, value: object = None, *, parent: str = "") -> bool:
    """Whether `field` (of a mapping that is the value of `parent`), holding `value`,
    carries personal data."""
    return (
        field in PERSONAL_FIELDS
        or field in PERSONAL_CHILDREN.get(parent, frozenset())
        or (field in PERSONAL_TEXTS and isinstance(value, str))
    )
