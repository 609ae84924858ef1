"""The gateway's use cases: an admitted request becomes one command on the bus.

Each use case checks what the gateway alone can check (the door's rules, the
caller's right to the case), then sends one command and answers 202 once Kafka
has it. With an Idempotency-Key the work runs at most once per (caller, key);
the ids and the time it derives come from the claim, so a retry after a crash
sends the very same command.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from onewindow.contracts.envelope import deterministic_id, new_envelope
from onewindow.contracts.message import Message
from onewindow.contracts.v1.applications import (
    FINAL_STATUSES,
    Actor,
    RecordReview,
    RequestExtension,
    SubmitApplication,
    SupplyDocuments,
    WithdrawApplication,
)
from onewindow.contracts.v1.common import ApplicationForm, DocumentKind, DocumentRef, PermitSide
from onewindow.gateway.adapters.mongo import CaseFacts, CaseOwners, IdempotencyRecords
from onewindow.gateway.application.uploads import Uploads
from onewindow.gateway.domain import admission, binding
from onewindow.gateway.domain.errors import (
    CaseDecided,
    CaseNotFound,
    NotYourCompany,
    PermitNotFound,
    RequestInProgress,
)
from onewindow.gateway.domain.idempotency import (
    Claim,
    Origin,
    Replay,
    StoredResponse,
    claim_id,
    fingerprint,
    on_repeat,
    to_millis,
)
from onewindow.gateway.domain.ownership import (
    CaseOwner,
    may_see,
    may_submit_for,
    owner_of_submission,
)
from onewindow.gateway.domain.uploads import citing_accounts
from onewindow.runtime.bus import CommandBus
from onewindow.runtime.clock import Clock, local_today
from onewindow.runtime.vault import Keyring, person_ref

SOURCE = "onewindow/gateway"
# How often a request re-reads a key whose claim vanished or moved under it.
CLAIM_ATTEMPTS = 3

Work = Callable[[Origin], Awaitable[StoredResponse]]
ReviewDecision = Literal["approve", "refuse", "request_documents"]


@dataclass(frozen=True)
class Answer:
    """What to answer: the response, and whether it repeats an earlier one."""

    response: StoredResponse
    replayed: bool = False


def evidence_facts(form: ApplicationForm) -> dict[str, Any]:
    """What the officer's evidence view needs of a submission: whose registry records to
    read (the passport) and what the form cited (`GET /v1/applications/{id}/evidence`)."""
    passport = form.applicant.passport
    return {
        "holder": {"nationality": form.applicant.nationality, "passport_number": passport.number},
        "cited": [
            d.model_dump(mode="json", include={"kind", "registry_id", "upload_id"})
            for d in form.documents
        ],
    }


def accepted(resource_id: str, status: str, location: str) -> StoredResponse:
    return StoredResponse(202, {"id": resource_id, "status": status}, location)


class Gateway:
    """The use cases behind the write routes of API.md."""

    def __init__(
        self,
        *,
        claims: IdempotencyRecords,
        owners: CaseOwners,
        facts: CaseFacts,
        bus: CommandBus,
        clock: Clock,
        lease: timedelta,
        uploads: Uploads,
        keyring: Keyring,
        person_secret: str,
        new_root: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.claims = claims
        self.keyring = keyring
        self.person_secret = person_secret
        self.uploads = uploads
        self.owners = owners
        self.facts = facts
        self.bus = bus
        self.clock = clock
        self.lease = lease
        self.new_root = new_root

    def today(self) -> date:
        return local_today(self.clock)

    async def submit_application(
        self, actor: Actor, form: ApplicationForm, key: str, *, account: str | None = None
    ) -> Answer:
        """`POST /v1/applications`: admit the form, then send `SubmitApplication` once.

        `account` is the applicant account an employer names for its employee (the
        case's owner from then on); the submitter's verified passport rides on its actor.
        """
        admission.check(admission.application_violations(form, self.today()))
        if not may_submit_for(actor, form.employer.uscc):
            raise NotYourCompany(form.employer.uscc)
        submitted_by = binding.submitter(actor, account)
        binding.check_passport(submitted_by, form)
        # Only uploads of the case's own accounts, of the kind cited (422 otherwise).
        documents = await self.uploads.admit(form.documents, citing_accounts(submitted_by))
        form = form.model_copy(update={"documents": documents})

        async def submit(origin: Origin) -> StoredResponse:
            application_id = origin.derived("application")
            # The case's key, under which every service seals the person's data (an
            # erasure destroys it); made before anything names the person.
            person = person_ref(
                self.person_secret, form.applicant.nationality, form.applicant.passport.number
            )
            await self.keyring.create(application_id, person, at=origin.at)
            owner = owner_of_submission(application_id, submitted_by, form.employer.uscc)
            await self.owners.record(
                owner, submitted_at=origin.at, channel=form.channel, **evidence_facts(form)
            )
            command = SubmitApplication(
                application_id=application_id,
                submitted_by=submitted_by,
                submitted_at=origin.at,
                form=form,
            )
            await self._send(command, application_id, origin)
            return accepted(application_id, "submitted", f"/v1/applications/{application_id}")

        body = form.model_dump(mode="json")
        if submitted_by.on_behalf_of is not None:
            # Part of the request: the same key naming another account is another request.
            body["applicant"]["account"] = submitted_by.on_behalf_of
        return await self._once(actor, key, "POST /v1/applications", body, submit)

    async def supply_documents(
        self,
        actor: Actor,
        application_id: str,
        documents: Sequence[DocumentRef],
        key: str | None,
        *,
        registration_number: str | None = None,
    ) -> Answer:
        """`POST /v1/applications/{id}/documents`: the owner answers a supplement request
        (documents, and the registration number when it was asked for)."""
        owner = await self._owned_case(actor, application_id)
        documents = await self.uploads.admit(documents, citing_accounts(actor, owner.applicant_sub))
        command = SupplyDocuments(
            application_id=application_id,
            supplied_by=actor,
            documents=tuple(documents),
            registration_number=registration_number,
        )
        return await self._follow_up(actor, key, application_id, "documents", command)

    async def withdraw(self, actor: Actor, application_id: str, key: str | None) -> Answer:
        """`POST /v1/applications/{id}/withdrawal`: refused (409) once the case is decided."""
        await self._owned_case(actor, application_id)
        status = await self.facts.status(application_id)
        if status in FINAL_STATUSES:
            raise CaseDecided(application_id, status or "")
        command = WithdrawApplication(application_id=application_id, requested_by=actor)
        # One withdrawal per case: its id depends on the case alone, so every
        # repeat (with or without a key) is the same message to the saga.
        fixed = deterministic_id(application_id, WithdrawApplication.TYPE)
        return await self._follow_up(
            actor, key, application_id, "withdrawal", command, envelope_id=fixed
        )

    async def record_review(
        self,
        officer: Actor,
        application_id: str,
        *,
        permit: PermitSide,
        decision: ReviewDecision,
        reason: str,
        documents: Sequence[DocumentKind],
        key: str | None,
    ) -> Answer:
        """`POST /v1/applications/{id}/reviews`: an officer's decision on one side."""
        await self._owned_case(officer, application_id)
        command = RecordReview(
            application_id=application_id,
            officer=officer,
            permit=permit,
            decision=decision,
            reason=reason,
            documents=tuple(documents),
        )
        return await self._follow_up(officer, key, application_id, "reviews", command)

    async def request_extension(
        self, actor: Actor, work_permit_number: str, contract_end: date, key: str
    ) -> Answer:
        """`POST /v1/work-permits/{number}/extensions`: the holder or employer asks once."""
        admission.check(admission.extension_violations(contract_end, self.today()))
        application_id = await self.facts.case_of_permit(work_permit_number)
        owner = await self.owners.of_case(application_id) if application_id else None
        if owner is None or not may_see(actor, owner):
            raise PermitNotFound(work_permit_number)

        async def extend(origin: Origin) -> StoredResponse:
            extension_id = origin.derived("extension")
            await self.owners.record_extension(
                extension_id, owner, work_permit_number=work_permit_number, requested_at=origin.at
            )
            command = RequestExtension(
                extension_id=extension_id,
                work_permit_number=work_permit_number,
                contract_end=contract_end,
                requested_by=actor,
                requested_at=origin.at,
            )
            await self._send(command, extension_id, origin)
            return accepted(extension_id, "pending", f"/v1/extensions/{extension_id}")

        route = f"POST /v1/work-permits/{work_permit_number}/extensions"
        body = {"contract_end": contract_end.isoformat()}
        return await self._once(actor, key, route, body, extend)

    async def _owned_case(self, actor: Actor, application_id: str) -> CaseOwner:
        owner = await self.owners.of_case(application_id)
        if owner is None or not may_see(actor, owner):
            raise CaseNotFound(application_id)
        return owner

    async def _follow_up(
        self,
        actor: Actor,
        key: str | None,
        application_id: str,
        action: str,
        command: Message,
        envelope_id: str | None = None,
    ) -> Answer:
        """A write on an existing case: once per key when a key is given."""

        async def send(origin: Origin) -> StoredResponse:
            await self._send(command, application_id, origin, envelope_id=envelope_id)
            return accepted(application_id, "accepted", f"/v1/applications/{application_id}")

        if key is None:
            return Answer(await send(Origin(self.new_root(), to_millis(self.clock.now()))))
        route = f"POST /v1/applications/{application_id}/{action}"
        return await self._once(actor, key, route, command.model_dump(mode="json"), send)

    async def _send(
        self, command: Message, key: str, origin: Origin, envelope_id: str | None = None
    ) -> None:
        envelope = new_envelope(
            command.TYPE,
            source=SOURCE,
            correlation_id=key,
            id=envelope_id or origin.derived(command.TYPE),
            subject=key,
            time=origin.at,
        )
        await self.bus.send(command, key=key, envelope=envelope)

    async def _once(self, actor: Actor, key: str, route: str, body: Any, work: Work) -> Answer:
        """Run `work` at most once per (caller, key) and answer every repeat the same.

        Raises `IdempotencyKeyReused` (different request) or `RequestInProgress`.
        """
        now = to_millis(self.clock.now())
        claim = Claim(
            id=claim_id(actor.sub, key),
            caller=actor.sub,
            key=key,
            fingerprint=fingerprint(route, body),
            claimed_at=now,
            lease_until=now + self.lease,
        )
        claimed = await self._claim(claim, now)
        if isinstance(claimed, Replay):
            return Answer(claimed.response, replayed=True)
        claim = claimed
        try:
            response = await work(claim.origin)
        except BaseException:
            # If even the release fails, the lease runs out and a retry takes over.
            with contextlib.suppress(Exception):
                await self.claims.release(claim)
            raise
        await self.claims.complete(claim, response)
        return Answer(response)

    async def _claim(self, claim: Claim, now: datetime) -> Claim | Replay:
        for _ in range(CLAIM_ATTEMPTS):
            if await self.claims.insert(claim):
                return claim
            existing = await self.claims.get(claim.id)
            if existing is None:  # released by a failed first attempt: claim afresh
                continue
            verdict = on_repeat(existing, claim.fingerprint, now, self.lease)
            if isinstance(verdict, Replay):
                return verdict
            if await self.claims.take_over(existing, verdict.new_lease_until):
                return replace(existing, lease_until=verdict.new_lease_until)
        raise RequestInProgress()
