"""The gateway's collections in its own MongoDB database (FerretDB-compatible).

- `idempotency`: one document per (caller, key) claim; unique index on both.
- `case_owners`: who may see a case (`_id` = application id), and the passport and
  citations of its submission (the officers' evidence view).
- `extension_owners`: who may see an extension (`_id` = extension id).
- `applications_view`: the read model's case views; their `status` is read here to
  refuse a withdrawal once decided.
- `permit_cases`: each issued work permit's case (`_id` = permit number,
  `application_id`), written by the read model; read here to find who may extend it.

No transactions: each write is one document, made safe to repeat.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from onewindow.gateway.domain.idempotency import Claim, StoredResponse
from onewindow.gateway.domain.ownership import CaseOwner

Document = dict[str, Any]


class IdempotencyRecords:
    """Claims of Idempotency-Keys. The insert is the claim: of two concurrent
    requests with the same key, the unique index lets exactly one in."""

    def __init__(self, db: AsyncDatabase[Document], collection: str = "idempotency") -> None:
        self.collection = db[collection]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("caller", ASCENDING), ("key", ASCENDING)], unique=True, name="caller_key"
        )

    async def insert(self, claim: Claim) -> bool:
        """Claim a key; False if it was claimed before (by this or another request)."""
        try:
            await self.collection.insert_one(_claim_document(claim))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, claim_id: str) -> Claim | None:
        document = await self.collection.find_one({"_id": claim_id})
        return None if document is None else _claim(document)

    async def take_over(self, claim: Claim, lease_until: datetime) -> bool:
        """Extend an expired claim's lease for this request; False if someone else did first."""
        result = await self.collection.update_one(
            {"_id": claim.id, "state": "processing", "lease_until": claim.lease_until},
            {"$set": {"lease_until": lease_until}},
        )
        return result.modified_count == 1

    async def complete(self, claim: Claim, response: StoredResponse) -> None:
        """Record the answer; every later repeat gets it."""
        await self.collection.update_one(
            {"_id": claim.id},
            {
                "$set": {
                    "state": "done",
                    "response": {
                        "status": response.status,
                        "body": response.body,
                        "location": response.location,
                    },
                }
            },
        )

    async def release(self, claim: Claim) -> None:
        """Give up a claim whose work failed, so a retry starts afresh."""
        await self.collection.delete_one(
            {"_id": claim.id, "state": "processing", "lease_until": claim.lease_until}
        )


def _claim_document(claim: Claim) -> Document:
    return {
        "_id": claim.id,
        "caller": claim.caller,
        "key": claim.key,
        "fingerprint": claim.fingerprint,
        "claimed_at": claim.claimed_at,
        "lease_until": claim.lease_until,
        "state": claim.state,
        "response": None,
    }


def _claim(document: Document) -> Claim:
    stored = document.get("response")
    response = (
        StoredResponse(
            status=int(stored["status"]), body=dict(stored["body"]), location=stored["location"]
        )
        if stored
        else None
    )
    return Claim(
        id=document["_id"],
        caller=document["caller"],
        key=document["key"],
        fingerprint=document["fingerprint"],
        claimed_at=document["claimed_at"],
        lease_until=document["lease_until"],
        state=document["state"],
        response=response,
    )


class CaseOwners:
    """Who may see each case (`case_owners`), and each extension (`extension_owners`)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases = db["case_owners"]
        self.extensions = db["extension_owners"]

    async def record(self, owner: CaseOwner, **facts: Any) -> None:
        """Record a case's owners (idempotent: a retry writes the same document)."""
        await self.cases.update_one(
            {"_id": owner.application_id},
            {"$set": {**_owner_fields(owner), **facts}},
            upsert=True,
        )

    async def of_case(self, application_id: str) -> CaseOwner | None:
        document = await self.cases.find_one({"_id": application_id})
        return None if document is None else _owner(application_id, document)

    async def evidence_of(self, application_id: str) -> Document | None:
        """What a case's submission cited and whose passport it named (`holder`, `cited`),
        None for a case submitted before these were recorded."""
        document = await self.cases.find_one({"_id": application_id})
        if document is None or "holder" not in document:
            return None
        return {"holder": document["holder"], "cited": document.get("cited", [])}

    async def forget_evidence(self, application_id: str) -> tuple[CaseOwner | None, list[str]]:
        """Remove whose passport a case named and what it cited (an erasure); the case's
        owners and the ids of the uploads it cited, to delete those too."""
        document = await self.cases.find_one({"_id": application_id})
        if document is None:
            return None, []
        await self.cases.update_one(
            {"_id": application_id}, {"$unset": {"holder": "", "cited": ""}}
        )
        cited = [str(c["upload_id"]) for c in document.get("cited", []) if c.get("upload_id")]
        return _owner(application_id, document), cited

    async def record_extension(self, extension_id: str, owner: CaseOwner, **facts: Any) -> None:
        """Record who asked for an extension: the owners of the permit's case."""
        await self.extensions.update_one(
            {"_id": extension_id},
            {"$set": {**_owner_fields(owner), "application_id": owner.application_id, **facts}},
            upsert=True,
        )


def _owner_fields(owner: CaseOwner) -> Document:
    return {"employer_uscc": owner.employer_uscc, "applicant_sub": owner.applicant_sub}


def _owner(application_id: str, document: Document) -> CaseOwner:
    return CaseOwner(
        application_id=application_id,
        employer_uscc=document["employer_uscc"],
        applicant_sub=document.get("applicant_sub"),
    )


class CaseFacts:
    """What the read model knows of a case: its status, and the case of a work permit."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.views = db["applications_view"]
        self.permits = db["permit_cases"]
        self.extensions = db["extensions_view"]
        self.extension_owners = db["extension_owners"]

    async def status(self, application_id: str) -> str | None:
        document = await self.views.find_one({"_id": application_id}, {"status": True})
        return None if document is None or "status" not in document else str(document["status"])

    async def extension_statuses(self, application_id: str) -> list[str]:
        """The status of each extension asked for a case's permits ("requested" while the
        read model shows no decision)."""
        asked = self.extension_owners.find({"application_id": application_id}, {"_id": True})
        statuses = []
        async for extension in asked:
            view = await self.extensions.find_one({"_id": extension["_id"]}, {"status": True})
            statuses.append(str((view or {}).get("status") or "requested"))
        return statuses

    async def standing(self, application_id: str) -> tuple[str | None, list[tuple[str, date]]]:
        """A case's status (None before the read model shows it) and its permits' status
        and end (after any extension), as the read model shows them."""
        sides = ("work_permit", "residence_permit")
        fields = {"status": True} | dict.fromkeys(sides, True)
        document = await self.views.find_one({"_id": application_id}, fields) or {}
        permits = [
            (str(permit.get("status")), date.fromisoformat(permit["valid_until"]))
            for side in sides
            if (permit := document.get(side)) and permit.get("valid_until")
        ]
        return document.get("status"), permits

    async def case_of_permit(self, work_permit_number: str) -> str | None:
        document = await self.permits.find_one({"_id": work_permit_number})
        return None if document is None else str(document["application_id"])
