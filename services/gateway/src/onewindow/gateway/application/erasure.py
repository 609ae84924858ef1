"""`DELETE /v1/people/{nationality}/{passport_number}`: an officer erases a person.

DOMAIN.md "Erasure": the history remains, the personal data is unreadable. The person's
cases are found by the person's reference in the vault (`runtime.vault`); the erasure is
refused while one of them is open (or has an extension under way) and while a permit of
theirs is inside its retention period (`RETENTION_YEARS` after the last permit expires).
Then the keys of the cases are destroyed, which makes every sealed value on the topics,
in the event stores and in the notifications' log unreadable at once, and what the
gateway itself kept in plain is removed: the passport a case's evidence view names, the
scans the cases cited, and every scan of the applicant accounts that own the cases (an
applicant account is the person's; an employer's is not, and keeps what it uploaded
uncited). The case views keep their decisions; they hold no personal
data.

Safe to repeat: a second erasure of the same person finds no keys and answers as the
first one did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from onewindow.contracts.v1.applications import FINAL_STATUSES, Actor
from onewindow.gateway.adapters.mongo import CaseFacts, CaseOwners
from onewindow.gateway.application.uploads import Uploads
from onewindow.gateway.domain.errors import PersonHasOpenCase, PersonInRetention, PersonNotFound
from onewindow.runtime.clock import Clock, local_today
from onewindow.runtime.vault import Keyring, person_ref

log = logging.getLogger(__name__)

RETENTION_YEARS = 5
FINAL_EXTENSION = frozenset({"approved", "refused"})
ISSUED = frozenset({"issued", "revoked"})  # statuses of a permit that was issued


@dataclass(frozen=True)
class Erased:
    """What an erasure did: how many cases' keys it destroyed."""

    cases: int


class Erasure:
    def __init__(
        self,
        *,
        keyring: Keyring,
        person_secret: str,
        owners: CaseOwners,
        facts: CaseFacts,
        uploads: Uploads,
        clock: Clock,
    ) -> None:
        self.keyring = keyring
        self.person_secret = person_secret
        self.owners = owners
        self.facts = facts
        self.uploads = uploads
        self.clock = clock

    async def erase(self, officer: Actor, nationality: str, passport_number: str) -> Erased:
        """Erase the person; raises `PersonHasOpenCase` or `PersonInRetention` (409) while not
        yet erasable, `PersonNotFound` (404) for a person with no case on record."""
        person = person_ref(self.person_secret, nationality, passport_number)
        cases = sorted(await self.keyring.cases_of(person))
        if not cases:
            if await self.keyring.erased(person):
                return Erased(cases=0)
            raise PersonNotFound()
        today = local_today(self.clock)
        for application_id in cases:
            await self._check(application_id, today)
        for application_id in cases:
            owner, cited = await self.owners.forget_evidence(application_id)
            await self.uploads.remove(cited, applicant=owner.applicant_sub if owner else None)
        await self.keyring.destroy(person, cases, by=officer.sub, at=self.clock.now())
        log.info(
            "person erased: the keys of their cases destroyed",
            extra={"cases": len(cases), "officer": officer.sub},
        )
        return Erased(cases=len(cases))

    async def _check(self, application_id: str, today: date) -> None:
        status, permits = await self.facts.standing(application_id)
        if status not in FINAL_STATUSES:
            raise PersonHasOpenCase(
                f"Application {application_id} is still open ({status or 'new'})."
            )
        for extension in await self.facts.extension_statuses(application_id):
            if extension not in FINAL_EXTENSION:
                raise PersonHasOpenCase(
                    f"An extension of application {application_id} is under way."
                )
        # A reservation that lapsed or was cancelled is no permit; a revoked one was issued.
        ends = [valid_until for permit, valid_until in permits if permit in ISSUED]
        if ends:
            last = max(ends)
            retained_until = _years_after(last, RETENTION_YEARS)
            if today <= retained_until:
                raise PersonInRetention(
                    f"A permit of application {application_id} expires on {last}; its records "
                    f"are kept until {retained_until}."
                )


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
