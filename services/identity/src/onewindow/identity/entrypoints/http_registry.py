"""The registry's internal HTTP API, proxied by the gateway after it checked the clerk's role.

Every request carries the gateway's service credential (`onewindow.runtime.service_tokens`;
without a valid one: 401), and a write's names the clerk it is made for (else 403): each
version records that clerk, and a record is answered with its `recorded_by`
(`{"sub", "role"}`, null for versions recorded before the registry kept it).

`PUT` answers only after the record's commit is in the store: 201 with the record
when this write created it, 200 when it corrected (or repeated) it. Errors are
problem details (RFC 9457). Bodies are the registry contract's
(`onewindow.contracts.v1.registry`), the ones the gateway checked at the door.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse

from onewindow.contracts.v1.registry import CertificateRecord as CertificateBody
from onewindow.contracts.v1.registry import EmployerRecord as EmployerBody
from onewindow.contracts.v1.registry import WatchlistEntry as WatchlistBody
from onewindow.identity.application.registry import Registry, Stored
from onewindow.identity.domain.person import PassportHolder
from onewindow.identity.domain.registry import (
    CertificateRecord,
    EmployerRecord,
    Holder,
    InvalidRecord,
    R,
    Recorded,
    Recorder,
    WatchlistEntry,
)
from onewindow.runtime.problems import FieldError, ProblemError, ProblemRoute, invalid
from onewindow.runtime.service_tokens import (
    InternalRoute,
    ServiceCredential,
    ServiceCredentialVerifier,
    service_credential,
)
from onewindow.runtime.validation.countries import validate_country
from onewindow.runtime.validation.errors import InvalidInput
from onewindow.runtime.validation.passport import validate_passport_number
from onewindow.runtime.validation.uscc import validate_uscc

PREFIX = "/internal/registry"
# Registry ids become stream names and URL segments: keep them to a safe alphabet.
CERTIFICATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


# Only clerks keep the registry (the gateway lets no one else write).
CLERK = "clerk"


def employer_json(employer: EmployerRecord) -> dict[str, Any]:
    return employer.model_dump(mode="json")


def certificate_json(certificate: CertificateRecord) -> dict[str, Any]:
    body = certificate.model_dump(mode="json", exclude={"certificate_id"})
    return {"id": certificate.certificate_id, **body}


def watchlist_json(entry: WatchlistEntry) -> dict[str, Any]:
    return entry.model_dump(mode="json")


def recorded_json(recorded: Recorded[Any], record_json: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON with the clerk who recorded this version."""
    by = recorded.recorded_by
    return {**record_json, "recorded_by": by.model_dump(mode="json") if by else None}


def _checked(loc: list[str | int], check: Any, value: str) -> str:
    try:
        return str(check(value))
    except InvalidInput as error:
        raise invalid([FieldError(loc=loc, msg=error.message)]) from None


def _uscc(value: str) -> str:
    return _checked(["path", "uscc"], validate_uscc, value)


def _holder(nationality: str, passport_number: str, where: str) -> PassportHolder:
    return PassportHolder(
        _checked([where, "nationality"], validate_country, nationality),
        _checked([where, "passport_number"], validate_passport_number, passport_number),
    )


def _certificate_id(value: str) -> str:
    if not CERTIFICATE_ID.fullmatch(value):
        raise invalid(
            [
                FieldError(
                    loc=["path", "certificate_id"],
                    msg="1 to 64 letters, digits, '.', '_', ':' or '-', "
                    "starting with a letter or digit",
                )
            ]
        )
    return value


def _not_found(what: str) -> ProblemError:
    return ProblemError(404, "not-found", f"{what} is not in the registry")


class RegistryRoute(ProblemRoute, InternalRoute):
    """A registry route: a service credential required, every error a problem."""


def _stored(stored: Stored[R], body: dict[str, Any], location: str) -> JSONResponse:
    body = recorded_json(stored.recorded, body)
    if stored.created:
        return JSONResponse(body, status_code=201, headers={"Location": location})
    return JSONResponse(body, status_code=200)


def registry_router(registry: Registry, credentials: ServiceCredentialVerifier) -> APIRouter:
    """The `/internal/registry/...` routes over this registry, for callers whose service
    credential `credentials` accepts."""
    # Dependencies, as defaults (the annotations are strings, which FastAPI resolves among
    # the module's names, not this function's); the credential is checked once a request.
    credential = Depends(service_credential(credentials))

    async def recording(checked: ServiceCredential = credential) -> Recorder:
        """The clerk a write is made for, named by the credential; 403 without one."""
        acting = checked.acting_for
        if acting is None or acting.role != CLERK:
            raise ProblemError(
                403, "forbidden", "only a clerk records in the registry: the credential names none"
            )
        return Recorder(sub=acting.sub, role=acting.role)

    clerk = Depends(recording)

    router = APIRouter(
        prefix=PREFIX,
        tags=["registry"],
        route_class=RegistryRoute,
        dependencies=[credential],
    )

    @router.put("/employers/{uscc}")
    async def put_employer(
        uscc: str, body: Annotated[EmployerBody, Body()], by: Recorder = clerk
    ) -> JSONResponse:
        code = _uscc(uscc)
        employer = EmployerRecord(uscc=code, **body.model_dump())
        stored = await registry.record_employer(employer, by)
        record = stored.recorded.record
        return _stored(stored, employer_json(record), f"{PREFIX}/employers/{code}")

    @router.get("/employers/{uscc}")
    async def get_employer(uscc: str) -> dict[str, Any]:
        code = _uscc(uscc)
        employer = await registry.employer(code)
        if employer is None:
            raise _not_found(f"employer {code}")
        return recorded_json(employer, employer_json(employer.record))

    @router.put("/certificates/{certificate_id}")
    async def put_certificate(
        certificate_id: str,
        body: Annotated[CertificateBody, Body()],
        by: Recorder = clerk,
    ) -> JSONResponse:
        cid = _certificate_id(certificate_id)
        holder = _holder(body.holder.nationality, body.holder.passport_number, "body.holder")
        fields = body.model_dump(exclude={"holder"})
        certificate = CertificateRecord(
            certificate_id=cid,
            holder=Holder(nationality=holder.nationality, passport_number=holder.passport_number),
            **fields,
        )
        try:
            stored = await registry.record_certificate(certificate, by)
        except InvalidRecord as error:
            raise invalid(
                [FieldError(loc=["body", *error.field.split(".")], msg=error.message)]
            ) from None
        record = stored.recorded.record
        return _stored(stored, certificate_json(record), f"{PREFIX}/certificates/{cid}")

    @router.get("/certificates/{certificate_id}")
    async def get_certificate(certificate_id: str) -> dict[str, Any]:
        cid = _certificate_id(certificate_id)
        certificate = await registry.certificate(cid)
        if certificate is None:
            raise _not_found(f"certificate {cid}")
        return recorded_json(certificate, certificate_json(certificate.record))

    @router.get("/certificates")
    async def certificates_of_holder(
        nationality: Annotated[str, Query()], passport_number: Annotated[str, Query()]
    ) -> dict[str, Any]:
        holder = _holder(nationality, passport_number, "query")
        found = await registry.certificates_held_by(holder)
        return {"items": [certificate_json(c) for c in found]}

    @router.put("/watchlist/{nationality}/{passport_number}")
    async def put_watchlist_entry(
        nationality: str,
        passport_number: str,
        body: Annotated[WatchlistBody, Body()],
        by: Recorder = clerk,
    ) -> JSONResponse:
        holder = _holder(nationality, passport_number, "path")
        entry = WatchlistEntry(
            nationality=holder.nationality, passport_number=holder.passport_number, note=body.note
        )
        stored = await registry.record_watchlist_entry(entry, by)
        location = f"{PREFIX}/watchlist/{holder.nationality}/{holder.passport_number}"
        return _stored(stored, watchlist_json(stored.recorded.record), location)

    @router.get("/watchlist/{nationality}/{passport_number}")
    async def get_watchlist_entry(nationality: str, passport_number: str) -> dict[str, Any]:
        holder = _holder(nationality, passport_number, "path")
        entry = await registry.watchlist_entry(holder)
        if entry is None:
            raise _not_found("this watch-list entry")
        return recorded_json(entry, watchlist_json(entry.record))

    return router
