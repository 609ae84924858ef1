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

from onewindow.cli.token import DEFAULT_AUDIENCE, DEVELOPMENT_JWT_SECRET, make_token
from onewindow.runtime.validation.uscc import make_uscc

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
        self.uscc = make_uscc(
            "91310104MA" + uuid.uuid4().hex[:7].upper().translate(str.maketrans("IOSVZ", "JPTWY"))
        )

    def register(self, passport: str, *, health_days_old: int, watchlisted: bool) -> None:
        holder = {"nationality": "NLD", "passport_number": passport}
        certificates: dict[str, dict[str, Any]] = {
            "degree": {
                "issued_on": "2010-07-01",
                "details": {"level": "doctorate"},
                "issuer": "Leiden University",
            },
            "criminal_record": {
                "issued_on": (self.today - timedelta(days=40)).isoformat(),
                "issuer": "Justis, Netherlands",
            },
            "health": {
                "issued_on": (self.today - timedelta(days=health_days_old)).isoformat(),
                "issuer": "Shanghai International Travel Healthcare Center",
            },
        }
        for kind, record in certificates.items():
            _ok(
                self.http.put(
                    f"/v1/registry/certificates/{kind}-{passport}",
                    json={"kind": kind, "holder": holder, **record},
                    headers=self.clerk,
                )
            )
        if watchlisted:
            _ok(
                self.http.put(
                    f"/v1/registry/watchlist/NLD/{passport}",
                    json={"note": "demo: verify with the exit-entry bureau"},
                    headers=self.clerk,
                )
            )

    def application(self, passport: str) -> dict[str, Any]:
        return {
            "applicant": {
                "surname": "DE JONG",
                "given_names": "ANNA",
                "sex": "F",
                "date_of_birth": "1984-08-12",
                "nationality": "NLD",
                "passport": {"number": passport, "expires_on": "2034-10-31"},
                "email": "anna@example.org",
                "phone": "+8613800000000",
            },
            "employer": {"uscc": self.uscc, "contact_email": "hr@example.com"},
            "position": {
                "title": "Chief Scientist",
                "annual_salary_cny": 900_000,
                "contract_start": (self.today + timedelta(days=30)).isoformat(),
                "contract_end": (self.today + timedelta(days=3 * 365)).isoformat(),
                "months_in_china_per_year": 12,
            },
            "qualifications": {
                "education": "doctorate",
                "experience_years": 15,
                "hsk_level": 0,
                "chinese_taught_degree": False,
                "bonuses": ["top_university", "patent"],
            },
            "residence": {
                "address": "188 Caoxi Road, Xuhui District, Shanghai",
                "registration_number": "XH-2026-000123",
            },
            "documents": [
                {"kind": k, "registry_id": f"{k}-{passport}"}
                for k in ("degree", "criminal_record", "health")
            ],
            "channel": "online",
            "language": "en",
        }

    def run_case(self, title: str, *, health_days_old: int = 20, watchlisted: bool = False) -> None:
        console.rule(f"[bold]{title}")
        passport = "D" + uuid.uuid4().hex[:8].upper()
        self.register(passport, health_days_old=health_days_old, watchlisted=watchlisted)
        applicant = _auth("applicant", f"demo-{passport.lower()}")
        created = _ok(
            self.http.post(
                "/v1/applications",
                json=self.application(passport),
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
                json={"name": "Xuhui Research Ltd", "licence_valid_until": "2031-12-31"},
                headers=runner.clerk,
            )
        )
        console.print(f"employer {runner.uscc} registered")
        runner.run_case("1. A fast-track Category-A case")
        runner.run_case(
            "2. A stale health certificate: refused on the residence side", health_days_old=300
        )
        runner.run_case("3. A watch-list match: an officer decides", watchlisted=True)
