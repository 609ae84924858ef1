"""How reasons and the classification appear in the case view (API.md v1.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from onewindow.contracts.message import Message
from onewindow.contracts.v1 import applications as app
from onewindow.contracts.v1.common import Classification, FactorPoints, LegalBasis, Reason
from onewindow.gateway.readmodel.projection import changes, reason_view
from onewindow.gateway.readmodel.routes import public_view

AT = datetime(2027, 1, 11, 7, 15, tzinfo=UTC)
BASIS = LegalBasis(policy="rp-2013.1-shanghai", article="§30.5")
TOO_OLD = Reason(
    code="health_certificate_too_old",
    side="residence",
    params={"issued_on": "2026-03-01", "maximum_months": "6"},
    legal_basis=BASIS,
)
SHOWN_BASIS = {"policy": "rp-2013.1-shanghai", "article": "§30.5"}
DEADLINE = app.Deadline(due_on=date(2027, 1, 13), clock="running")
CLASSIFIED = Classification(
    category="A",
    points=90,
    factors=(
        FactorPoints(factor="education", value="master (registry; typed doctorate)", points=15),
    ),
)


def refused() -> app.ApplicationRefused:
    return app.ApplicationRefused(
        application_id="case-1",
        decided_at=AT,
        decided_by="system",
        reasons=(TOO_OLD, Reason(code="counterpart_refused", side="work")),
        appeal=app.Appeal(route="administrative_reconsideration", deadline=date(2027, 3, 12)),
        contact=app.Contact(email="anna@example.org"),
    )


def status_changed() -> app.ApplicationStatusChanged:
    return app.ApplicationStatusChanged(
        application_id="case-1",
        status="refused",
        at=AT,
        summary="Refused.",
        work_permit=app.PermitView(status="cancelled"),
        residence_permit=app.PermitView(status="refused", reasons=(TOO_OLD,)),
        deadline=DEADLINE,
        classification=CLASSIFIED,
    )


def view_fields(message: Message) -> dict[str, Any]:
    found = changes(message, AT)
    assert found is not None
    return found[0]


@pytest.mark.parametrize(
    ("where", "message", "reasons_at"),
    [
        pytest.param("decision", refused(), ("decision", "reasons"), id="the decision's reasons"),
        pytest.param(
            "permit", status_changed(), ("residence_permit", "reasons"), id="a permit's reasons"
        ),
    ],
)
def test_each_reason_in_the_view_shows_its_legal_basis(
    where: str, message: Message, reasons_at: tuple[str, str]
) -> None:
    fields = view_fields(message)
    shown = fields[reasons_at[0]][reasons_at[1]]
    assert shown[0]["code"] == "health_certificate_too_old", where
    assert shown[0]["legal_basis"] == SHOWN_BASIS, where
    assert shown[0]["message_en"], where
    assert shown[0]["message_zh"], where


def test_a_reason_without_a_legal_basis_shows_null() -> None:
    assert reason_view(Reason(code="counterpart_refused", side="work"))["legal_basis"] is None


def test_an_extensions_reasons_show_their_legal_basis_too() -> None:
    decided = app.ExtensionDecided(
        extension_id="ext-1",
        application_id="case-1",
        outcome="refused",
        decided_at=AT,
        reasons=(TOO_OLD,),
    )
    assert [reason_view(r)["legal_basis"] for r in decided.reasons] == [SHOWN_BASIS]


def test_officers_see_the_classification_with_its_factors_and_applicants_do_not() -> None:
    doc = view_fields(status_changed())
    staff = public_view("case-1", doc, staff=True)
    assert staff["classification"]["factors"][0]["value"] == "master (registry; typed doctorate)"
    assert "classification" not in public_view("case-1", doc)
    assert public_view("case-1", doc)["points"] == 90
