"""Errors of the gateway's rules; `entrypoints.errors` maps each to one problem type."""

from __future__ import annotations


class GatewayError(Exception):
    """A request the gateway will not carry out; the message is the problem's detail."""


class CaseNotFound(GatewayError):
    """No such case, or not the caller's (the two are not told apart: no existence leak)."""

    def __init__(self, application_id: str) -> None:
        super().__init__(f"No application {application_id} for this caller.")
        self.application_id = application_id


class PermitNotFound(GatewayError):
    """No such work permit, or not the caller's."""

    def __init__(self, number: str) -> None:
        super().__init__(f"No work permit {number} for this caller.")
        self.number = number


class CaseDecided(GatewayError):
    """The case has its final status; it can no longer be withdrawn."""

    def __init__(self, application_id: str, status: str) -> None:
        super().__init__(f"Application {application_id} is already {status}.")
        self.status = status


class NotYourCompany(GatewayError):
    """An employer acting for a company other than the one in its token."""

    def __init__(self, uscc: str) -> None:
        super().__init__(f"This employer account may not act for USCC {uscc}.")


class AccountNotYours(GatewayError):
    """Someone other than an employer named an applicant account other than its own."""

    def __init__(self, account: str) -> None:
        super().__init__(
            f"Only an employer names the applicant's account; an applicant's application is "
            f"its own, so applicant.account must be absent or your own account, not {account!r}."
        )
        self.account = account


class PassportNotYours(GatewayError):
    """A verified applicant submitted for a passport other than the one it was verified for."""

    def __init__(self) -> None:
        super().__init__(
            "Your account is verified for another passport: a verified applicant may apply "
            "only for the passport in its token (nationality and number)."
        )


class IdempotencyKeyReused(GatewayError):
    """The same Idempotency-Key came with a different request."""

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used with a different request; use a new key.")


class RequestInProgress(GatewayError):
    """The first request with this Idempotency-Key has not finished yet."""

    def __init__(self) -> None:
        super().__init__(
            "The first request with this Idempotency-Key is still being processed; retry later."
        )


class UpstreamUnavailable(GatewayError):
    """Kafka or a service behind the gateway did not answer in time."""


class PersonNotFound(GatewayError):
    """No case of the person named (by nationality and passport number) is on record."""

    def __init__(self) -> None:
        super().__init__("No application of this person is on record.")


class PersonHasOpenCase(GatewayError):
    """An erasure refused: a case of the person (or an extension of one) is still open."""


class PersonInRetention(GatewayError):
    """An erasure refused: a permit of the person is inside its retention period."""
