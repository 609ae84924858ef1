"""`onewindow demo`: three cases against the running stack, each timeline printed live.

A clerk registers an employer and certificates; then a fast-track Category-A case, a
case refused on the residence side (a stale health certificate), and a case that needs
an officer (a watch-list match, which the demo's officer then approves).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import typer
from rich.console import Console

from onewindow.cli.seeding import (
    Person,
    application_body,
    certificate_records,
    employer_record,
    new_passport,
    new_uscc,
)
from onewindow.cli.token import DEFAULT_AUDIENCE, DEVELOPMENT_JWT_SECRET, make_token

console = Console()
FINAL = {"approved", "refused", "withdrawn"}


def _auth(role: str, sub: str) -> dict[str, str]:
    secret = os.environ.get("GATEWAY_JWT_SECRET", DEVELOPMENT_JWT_SECRET)
    audience = os.environ.get("GATEWAY_JWT_AUDIENCE", DEFAULT_AUDIENCE)
    token = make_token(role=role, sub=sub, uscc=None, ttl_s=3600, secret=secret, audience=audience)
    return {"Authorization": f"Bearer {token}"}


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        console.print(
            f"[red]{response.request.method} {response.request.url.path}: "
            f"{response.status_code}[/] {response.text}"
        )
        raise typer.Exit(1)
    return dict(response.json()) if response.content else {}


class Demo:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.clerk = _auth("clerk", "demo-clerk")
        self.officer = _auth("officer", "demo-officer")
        self.today = date.today()
        self.uscc = new_uscc()

    def register(self, person: Person, *, health_days_old: int, watchlisted: bool) -> None:
        health_issued = self.today - timedelta(days=health_days_old)
        for kind, record in certificate_records(person, health_issued=health_issued).items():
            certificate_id = f"{kind}-{person.passport}"
            _ok(
                self.http.put(
                    f"/v1/registry/certificates/{certificate_id}", json=record, headers=self.clerk
                )
            )
            person.documents[kind] = certificate_id
        if watchlisted:
            _ok(
                self.http.put(
                    f"/v1/registry/watchlist/{person.nationality}/{person.passport}",
                    json={"note": "demo: verify with the exit-entry bureau"},
                    headers=self.clerk,
                )
            )

    def run_case(self, title: str, *, health_days_old: int = 20, watchlisted: bool = False) -> None:
        console.rule(f"[bold]{title}")
        person = Person(passport=new_passport("D"), uscc=self.uscc)
        self.register(person, health_days_old=health_days_old, watchlisted=watchlisted)
        applicant = _auth("applicant", person.sub)
        created = _ok(
            self.http.post(
                "/v1/applications",
                json=application_body(person, today=self.today),
                headers={**applicant, "Idempotency-Key": str(uuid.uuid4())},
            )
        )
        case_id = created["id"]
        console.print(f"submitted [cyan]{case_id}[/]")
        self.follow(case_id, applicant)

    def follow(self, case_id: str, applicant: dict[str, str]) -> None:
        shown = 0
        reviewed: set[str] = set()
        while True:
            with self.http.stream(
                "GET", f"/v1/applications/{case_id}/events", headers=applicant, timeout=120
            ) as stream:
                for line in stream.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    view = json.loads(line[5:])
                    for entry in view["timeline"][shown:]:
                        console.print(
                            f"  {entry['at'][11:19]}  [magenta]{entry['type']:<36}[/]"
                            f" {entry['summary']}"
                        )
                    shown = len(view["timeline"])
                    if view["status"] == "awaiting_officer":
                        self.approve(case_id, view, reviewed)
                    if view["status"] in FINAL and view.get("decision"):
                        self.summarise(view)
                        return

    def approve(self, case_id: str, view: dict[str, Any], reviewed: set[str]) -> None:
        for permit in ("work", "residence"):
            if view[f"{permit}_permit"].get("under_review") and permit not in reviewed:
                reviewed.add(permit)
                console.print(f"  [yellow]officer approves the {permit} permit[/]")
                _ok(
                    self.http.post(
                        f"/v1/applications/{case_id}/reviews",
                        json={
                            "permit": permit,
                            "decision": "approve",
                            "reason": "watch-list entry cleared",
                        },
                        headers=self.officer,
                    )
                )

    def summarise(self, view: dict[str, Any]) -> None:
        decision = view["decision"]
        colour = "green" if decision["outcome"] == "approved" else "red"
        console.print(f"  [bold {colour}]{decision['outcome']}[/]", end="")
        if decision["outcome"] == "approved":
            console.print(
                f": work permit {view['work_permit']['number']} and residence permit "
                f"{view['residence_permit']['number']}, valid until "
                f"{view['residence_permit']['valid_until']}"
            )
        else:
            console.print()
            for reason in decision["reasons"]:
                console.print(f"    - {reason['code']}: {reason['message_en']}")
            if decision.get("appeal"):
                console.print(
                    f"    appeal: {decision['appeal']['route']} "
                    f"(by {decision['appeal']['deadline']})"
                )


def demo(
    gateway: str = typer.Option(
        os.environ.get("ONEWINDOW_GATEWAY_URL", "http://127.0.0.1:8080"),
        help="The gateway's address (ONEWINDOW_GATEWAY_URL).",
    ),
) -> None:
    """Register records, then run three cases and print each timeline as it happens."""
    with httpx.Client(base_url=gateway, timeout=30) as http:
        runner = Demo(http)
        _ok(
            http.put(
                f"/v1/registry/employers/{runner.uscc}",
                json=employer_record(),
                headers=runner.clerk,
            )
        )
        console.print(f"employer {runner.uscc} registered")
        runner.run_case("1. A fast-track Category-A case")
        runner.run_case(
            "2. A stale health certificate: refused on the residence side", health_days_old=300
        )
        runner.run_case("3. A watch-list match: an officer decides", watchlisted=True)
