"""Validation at the door (DOMAIN.md) for the rules that compare fields or need today.

Formats, lengths and ranges are checked by the API's field types; what is left
is here: dates in order (birth < today < passport expiry; contract start < end;
a new contract end after today), and the passport's machine readable zone
(every check digit, and agreement with the typed fields). Each broken rule is a
`Violation` located as FastAPI locates errors (`["body", "applicant", …]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from onewindow.contracts.v1.common import ApplicationForm
from onewindow.gateway.domain.errors import GatewayError
from onewindow.runtime.validation import MrzError, check_agreement, parse_td3

Loc = tuple[str | int, ...]
APPLICANT: Loc = ("body", "applicant")
PASSPORT: Loc = (*APPLICANT, "passport")
POSITION: Loc = ("body", "position")
# A person over this age applying for a work permit is a typing error.
OLDEST_APPLICANT_YEARS = 120


@dataclass(frozen=True)
class Violation:
    """One rule a request breaks: where, and what the rule is."""

    loc: Loc
    msg: str


class Inadmissible(GatewayError):
    """The request breaks rules checked at the door; nothing is stored or sent."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, v.loc))}: {v.msg}" for v in violations))
        self.violations = violations


def application_violations(form: ApplicationForm, today: date) -> list[Violation]:
    """Every date-order and MRZ rule the application breaks (empty: admissible)."""
    found: list[Violation] = []
    applicant, passport, position = form.applicant, form.applicant.passport, form.position
    if applicant.date_of_birth >= today:
        found.append(Violation((*APPLICANT, "date_of_birth"), "must be before today"))
    elif today.year - applicant.date_of_birth.year > OLDEST_APPLICANT_YEARS:
        found.append(Violation((*APPLICANT, "date_of_birth"), "is not a plausible birth date"))
    if passport.expires_on <= today:
        found.append(Violation((*PASSPORT, "expires_on"), "the passport must not have expired"))
    if position.contract_start >= position.contract_end:
        found.append(
            Violation((*POSITION, "contract_end"), "the contract must end after it starts")
        )
    if passport.mrz is not None:
        found += _mrz_violations(form, passport.mrz, today)
    return found


def _mrz_violations(form: ApplicationForm, mrz: tuple[str, str], today: date) -> list[Violation]:
    applicant, passport = form.applicant, form.applicant.passport
    try:
        zone = parse_td3(mrz, today=today)
    except MrzError as exc:
        return [Violation((*PASSPORT, "mrz"), exc.message)]
    disagreeing = check_agreement(
        zone,
        passport_number=passport.number,
        nationality=applicant.nationality,
        date_of_birth=applicant.date_of_birth,
        expires_on=passport.expires_on,
        surname=applicant.surname,
        given_names=applicant.given_names,
        sex=applicant.sex,
    )
    return [
        Violation((*PASSPORT, "mrz"), f"the MRZ disagrees with the typed {name.replace('_', ' ')}")
        for name in disagreeing
    ]


def extension_violations(contract_end: date, today: date) -> list[Violation]:
    """An extension's new contract end must lie in the future."""
    if contract_end <= today:
        return [Violation(("body", "contract_end"), "must be after today")]
    return []


def check(violations: list[Violation]) -> None:
    """Raise `Inadmissible` if any rule is broken."""
    if violations:
        raise Inadmissible(violations)
