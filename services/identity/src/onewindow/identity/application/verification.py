"""Verifying a case and closing it: the `identity.commands` subscription, the use cases
of `VerifyIdentity` and `CloseCase`, and the answers they publish on `identity.events`
(`IdentityVerified`, `IdentityRejected`, `CaseClosed`), each built from the event the
case recorded.

Ack policy (the runtime's, stated in `onewindow.runtime.subscriber`): the offset is
committed only after the handler's commit is durable; a handler that keeps failing
is retried, then the record goes to `identity.commands.dlq`.

Two streams take part. The case's own stream (`case-<application id>`) records
each verification with its outgoing event (outbox) and the id of the command
handled, in one commit, so a command delivered twice yields one event. The
claim of the person on the employer (`open-case-<person_ref>-<uscc>`) is taken
before that commit, guarded by its version, so of two cases racing for it one
wins and the other is told it is a duplicate of the winner.

Crash safety: a claim taken but whose case commit was lost is found again held
by this very case on redelivery, so the case proceeds as before; if the
redelivered verification is now refused, the claim is released first, so a
rejected case never keeps it.

Verified applicants (v1.1): a case whose submitter's account is verified for the
passport (`VerifyIdentity.verified_passport`) takes the claim from an unverified
holder. The displaced case's own stream then records it, and if its verification
stood, the case is verified again with the flag `unverified_applicant` (a second
`IdentityVerified`), so it goes to an officer instead of blocking the person; a
later verification of it carries the flag too, never `duplicate_application`.
Both happen before the verified case's own commit, so a redelivery completes them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from faststream.kafka import KafkaBroker

from onewindow.contracts.envelope import Envelope, deterministic_id
from onewindow.contracts.message import Message
from onewindow.contracts.topics import IDENTITY_COMMANDS
from onewindow.contracts.v1.identity import (
    CaseClosed,
    CloseCase,
    IdentityRejected,
    IdentityVerified,
    VerifyIdentity,
)
from onewindow.identity.application.registry import Registry
from onewindow.identity.application.streams import case_stream, history, open_case_stream
from onewindow.identity.domain.case import CaseEnded, CaseRejected, CaseVerified, IdentityCase
from onewindow.identity.domain.open_case import OpenCase
from onewindow.identity.domain.person import PassportHolder, normalise
from onewindow.identity.domain.verification import (
    CaseToVerify,
    RegistryFacts,
    Verified,
    registry_ids,
    verify,
)
from onewindow.runtime.eventstore import (
    EventStore,
    Outgoing,
    Stream,
    outgoing,
)
from onewindow.runtime.handling import Decision, handle
from onewindow.runtime.subscriber import subscribe

log = logging.getLogger(__name__)


def subscribe_commands(
    broker: KafkaBroker,
    verification: IdentityVerification,
    *,
    group_id: str,
    topic_prefix: str,
    source: str,
) -> None:
    """Route `VerifyIdentity` and `CloseCase` from `identity.commands` to their use cases."""

    async def on_command(message: Message, envelope: Envelope) -> None:
        if isinstance(message, VerifyIdentity):
            await verification.verify_identity(message, envelope)
        elif isinstance(message, CloseCase):
            await verification.close_case(message, envelope)
        else:
            log.warning("command not for identity ignored", extra={"message_type": envelope.type})

    subscribe(
        broker,
        topic=IDENTITY_COMMANDS.name,
        group_id=group_id,
        handler=on_command,
        topic_prefix=topic_prefix,
        source=source,
    )


class IdentityVerification:
    """The identity service's case-facing use cases."""

    def __init__(self, store: EventStore, registry: Registry, *, source: str = "identity") -> None:
        self._store = store
        self._registry = registry
        self._source = source

    async def verify_identity(self, command: VerifyIdentity, envelope: Envelope) -> None:
        """Verify the case and publish `IdentityVerified` or `IdentityRejected` (once)."""
        holder = PassportHolder(command.nationality, command.passport_number)
        case = CaseToVerify(
            application_id=command.application_id,
            holder=holder,
            passport_expires_on=command.passport_expires_on,
            employer_uscc=normalise(command.employer_uscc),
            documents=command.documents,
            application_date=command.application_date,
            verified_applicant=holder.is_named_by(command.verified_passport),
        )
        person_ref = self._registry.person_ref(case.holder)
        claim_stream = open_case_stream(person_ref, case.employer_uscc)

        async def decide(state: IdentityCase) -> Decision:
            facts, claim_version = await self._facts(case, person_ref)
            result = verify(case, facts)
            hold = isinstance(result, Verified) and not state.ended
            # A conflict on the claim is retried by `handle`, on fresh state.
            await self._claim_or_release(
                claim_stream,
                claim_version,
                facts.open_case,
                case.application_id,
                hold,
                verified=case.verified_applicant,
            )
            # Before this case's own commit, so a redelivery after a crash does it again.
            for displaced in facts.open_case.displaced_by(case.application_id) if hold else ():
                await self._record_displacement(displaced, case.application_id, envelope)
            event = state.record_verification(person_ref, case.employer_uscc, result)
            message = (
                identity_verified(event)
                if isinstance(event, CaseVerified)
                else identity_rejected(event)
            )
            return Decision(
                events=(event,), outbox=(self._outgoing(message, case.application_id, envelope),)
            )

        handled = await handle(
            self._store,
            case_stream(case.application_id),
            envelope.id,
            _case_of(case.application_id),
            decide,
        )
        if handled.decision is not None:
            (event,) = handled.decision.events
            log.info(
                "identity verified" if isinstance(event, CaseVerified) else "identity rejected",
                extra={
                    "application_id": case.application_id,
                    "person_ref": person_ref,
                    "reasons": [r.code for r in getattr(event, "reasons", ())],
                    "flags": list(getattr(event, "flags", ())),
                },
            )

    async def close_case(self, command: CloseCase, envelope: Envelope) -> None:
        """Close the case, releasing its claim, and publish `CaseClosed` (once)."""

        async def decide(state: IdentityCase) -> Decision:
            if state.person_ref is not None and state.employer_uscc is not None:
                claim_stream = open_case_stream(state.person_ref, state.employer_uscc)
                claim = await self._store.load(claim_stream)
                # A conflict on the claim is retried by `handle`, on fresh state.
                await self._claim_or_release(
                    claim_stream,
                    claim.version,
                    OpenCase.replay(history(claim)),
                    command.application_id,
                    hold=False,
                )
            ended = state.end(command.outcome)
            outbox = tuple(
                self._outgoing(case_closed(e, state.person_ref), command.application_id, envelope)
                for e in ended
                if isinstance(e, CaseEnded)
            )
            return Decision(events=ended, outbox=outbox)

        handled = await handle(
            self._store,
            case_stream(command.application_id),
            envelope.id,
            _case_of(command.application_id),
            decide,
        )
        if handled.first_time:
            log.info(
                "case closed",
                extra={
                    "application_id": command.application_id,
                    "person_ref": handled.state.person_ref,
                },
            )

    async def _facts(self, case: CaseToVerify, person_ref: str) -> tuple[RegistryFacts, int]:
        """What the registry holds for this case, and the version of the claim stream read."""
        ids = registry_ids(case.documents)
        employer, watch, claim, held = await asyncio.gather(
            self._registry.employer(case.employer_uscc),
            self._registry.watchlist_entry(case.holder),
            self._store.load(open_case_stream(person_ref, case.employer_uscc)),
            self._registry.certificates_held_by(case.holder),
        )
        certificates = await asyncio.gather(*(self._registry.certificate(i) for i in ids))
        found = {i: c.record for i, c in zip(ids, certificates, strict=True) if c is not None}
        facts = RegistryFacts(
            employer=employer.record if employer is not None else None,
            certificates=found,
            watchlisted=watch is not None,
            open_case=OpenCase.replay(history(claim)),
            held=tuple(held),
        )
        return facts, claim.version

    async def _claim_or_release(
        self,
        stream: str,
        version: int,
        open_case: OpenCase,
        application_id: str,
        hold: bool,
        *,
        verified: bool = False,
    ) -> None:
        """Take the claim for a case that should hold it, release it for one that should not
        (`open_case` records it, so it is left as the claim is afterwards).

        Raises `ConcurrencyConflict` when another case moved the claim meanwhile.
        """
        events = (
            open_case.claim(application_id, verified=verified)
            if hold
            else open_case.release(application_id)
        )
        if events:
            await self._store.append(stream, version, events)

    async def _record_displacement(self, displaced: str, by: str, envelope: Envelope) -> None:
        """Record on the displaced case's own stream that the verified applicant's case `by`
        took its claim, with its verification flagged `unverified_applicant` (once).

        Written in that stream, so the saga hears the flag in order with every other
        answer identity gives the displaced case (the relay keeps a stream's order).
        """

        def decide(case: IdentityCase) -> Decision:
            events = case.displace(by)
            outbox = tuple(
                outgoing(
                    identity_verified(event),
                    key=displaced,
                    correlation_id=displaced,
                    source=self._source,
                    cause=envelope,
                    discriminator=f"displaced-{displaced}",
                )
                for event in events
                if isinstance(event, CaseVerified)
            )
            return Decision(events=events, outbox=outbox)

        handled_id = deterministic_id(envelope.id, f"displace-{displaced}")
        handled = await handle(
            self._store, case_stream(displaced), handled_id, _case_of(displaced), decide
        )
        if handled.first_time:
            log.info(
                "unverified case displaced by a verified applicant's",
                extra={"application_id": displaced, "displaced_by": by},
            )

    def _outgoing(self, message: Message, key: str, envelope: Envelope) -> Outgoing:
        return outgoing(
            message,
            key=key,
            correlation_id=envelope.correlation_id,
            source=self._source,
            cause=envelope,
        )


def _case_of(application_id: str) -> Callable[[Stream], IdentityCase]:
    """How `handle` rebuilds the identity case of an application from its stream."""
    return lambda stream: IdentityCase.replay(application_id, history(stream))


def identity_verified(event: CaseVerified) -> IdentityVerified:
    return IdentityVerified(
        application_id=event.application_id,
        person_ref=event.person_ref,
        employer=event.employer,
        documents=event.documents,
        flags=event.flags,
    )


def identity_rejected(event: CaseRejected) -> IdentityRejected:
    return IdentityRejected(
        application_id=event.application_id,
        person_ref=event.person_ref,
        reasons=event.reasons,
        duplicate_of=event.duplicate_of,
    )


def case_closed(event: CaseEnded, person_ref: str | None) -> CaseClosed:
    """`person_ref` is empty for a case identity never verified (closed before it arrived)."""
    return CaseClosed(application_id=event.application_id, person_ref=person_ref or "")
