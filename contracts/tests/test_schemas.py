"""The committed JSON Schemas: one per message, current, and never broken within v1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, create_model

from onewindow.contracts.catalog import MESSAGES
from onewindow.contracts.compatibility import breaking_changes
from onewindow.contracts.schemas import (
    SCHEMA_DIR,
    committed_schemas,
    current_schemas,
    differences,
    file_name,
    main,
    schema_of,
)
from onewindow.contracts.v1.identity import IdentityRejected

FIXTURES = Path(__file__).parent / "fixtures"
COMMITTED = committed_schemas(SCHEMA_DIR)


def _fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"identity-rejected.{name}.json").read_text("utf-8")))


def test_every_catalog_message_has_a_committed_schema() -> None:
    missing = sorted(set(MESSAGES) - set(COMMITTED))
    assert not missing, f"run `make schemas`; no committed schema for {missing}"


def test_the_committed_schemas_are_what_the_models_generate() -> None:
    assert differences(SCHEMA_DIR) == [], "run `make schemas` and commit contracts/schemas/"


@pytest.mark.parametrize("ce_type", sorted(COMMITTED))
def test_the_current_model_still_reads_what_the_committed_schema_describes(ce_type: str) -> None:
    assert ce_type in MESSAGES, f"{ce_type} was removed; within v1 messages are only added"
    problems = breaking_changes(COMMITTED[ce_type], schema_of(MESSAGES[ce_type]))
    assert problems == [], "not backward compatible:\n" + "\n".join(problems)


def test_a_schema_names_its_cloudevents_type() -> None:
    schema = current_schemas()[IdentityRejected.TYPE]
    assert schema["x-ce-type"] == "onewindow.identity.IdentityRejected.v1"
    assert file_name(IdentityRejected.TYPE) == "onewindow.identity.IdentityRejected.v1.json"


@pytest.mark.parametrize(
    ("fixture", "problem"),
    [
        ("field-removed", "IdentityRejected.person_ref: field removed"),
        (
            "field-retyped",
            "IdentityRejected.person_ref: type changed from string to integer",
        ),
        (
            "nullable-narrowed",
            "IdentityRejected.duplicate_of: type changed from string | null to string",
        ),
        ("optional-made-required", "IdentityRejected.duplicate_of: optional field made required"),
        ("new-required-field", "IdentityRejected.channel: new required field without a default"),
        (
            "enum-value-removed",
            "IdentityRejected.reasons[].code: enum value 'duplicate_application' removed",
        ),
    ],
)
def test_a_deliberately_broken_schema_is_reported_as_breaking(fixture: str, problem: str) -> None:
    assert breaking_changes(_fixture("base"), _fixture(fixture)) == [problem]


def test_an_additive_schema_with_a_new_optional_field_and_enum_value_passes() -> None:
    additive = _fixture("additive")
    assert "note" in additive["properties"]
    assert breaking_changes(_fixture("base"), additive) == []


def test_going_back_from_the_additive_schema_is_breaking() -> None:
    assert sorted(breaking_changes(_fixture("additive"), _fixture("base"))) == [
        "IdentityRejected.note: field removed",
        "IdentityRejected.reasons[].code: enum value 'appeal_lodged' removed",
    ]


# A model changed the way a developer would change IdentityRejected, checked against
# the committed schema exactly as the test above checks the real model.
def _variant_of_identity_rejected(**changes: Any) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in IdentityRejected.model_fields.items()
    }
    for name, change in changes.items():
        if change is None:
            del fields[name]
        else:
            fields[name] = change
    config = ConfigDict(frozen=True, extra="ignore", title="IdentityRejected")
    return create_model("IdentityRejected", __config__=config, **fields)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"person_ref": None}, "IdentityRejected.person_ref: field removed"),
        ({"person_ref": (int, ...)}, "IdentityRejected.person_ref: type changed"),
        ({"duplicate_of": (str, ...)}, "IdentityRejected.duplicate_of: optional field made req"),
        ({"flagged_by": (str, ...)}, "IdentityRejected.flagged_by: new required field"),
    ],
)
def test_a_model_change_that_breaks_the_committed_schema_fails(
    changes: dict[str, Any], problem: str
) -> None:
    committed = COMMITTED[IdentityRejected.TYPE]
    problems = breaking_changes(
        committed, _variant_of_identity_rejected(**changes).model_json_schema()
    )
    assert any(p.startswith(problem) for p in problems), problems


def test_a_model_change_that_adds_an_optional_field_passes() -> None:
    changed = _variant_of_identity_rejected(note=(str | None, None))
    assert breaking_changes(COMMITTED[IdentityRejected.TYPE], changed.model_json_schema()) == []


def test_regenerating_into_an_empty_folder_then_checking_passes(tmp_path: Path) -> None:
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert main(["--dir", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.json"))) == len(MESSAGES)
    assert main(["--check", "--dir", str(tmp_path)]) == 0


def test_regeneration_refuses_to_overwrite_with_a_breaking_change(tmp_path: Path) -> None:
    main(["--dir", str(tmp_path)])
    path = tmp_path / file_name(IdentityRejected.TYPE)
    # The committed schema knew a field the model no longer has.
    committed = json.loads(path.read_text("utf-8"))
    committed["properties"]["legacy_ref"] = {"type": "string"}
    path.write_text(json.dumps(committed), encoding="utf-8")
    assert main(["--dir", str(tmp_path)]) == 2
    assert "legacy_ref" in path.read_text("utf-8")
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert main(["--dir", str(tmp_path), "--allow-breaking"]) == 0
    assert "legacy_ref" not in path.read_text("utf-8")


def test_a_committed_schema_of_a_removed_message_fails_the_check(tmp_path: Path) -> None:
    main(["--dir", str(tmp_path)])
    (tmp_path / "onewindow.identity.Retired.v1.json").write_text("{}", encoding="utf-8")
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert main(["--dir", str(tmp_path)]) == 2


def test_recursive_models_are_compared_without_looping() -> None:
    tree = {
        "$defs": {
            "Node": {
                "properties": {
                    "children": {"items": {"$ref": "#/$defs/Node"}, "type": "array"},
                    "label": {"type": "string"},
                },
                "required": ["label"],
                "type": "object",
            }
        },
        "$ref": "#/$defs/Node",
        "title": "Tree",
    }
    pruned = json.loads(json.dumps(tree))
    del pruned["$defs"]["Node"]["properties"]["label"]
    assert breaking_changes(tree, tree) == []
    assert breaking_changes(tree, pruned) == ["Tree.label: field removed"]


def _message_with(field: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"f": field}, "title": "M", "type": "object"}


@pytest.mark.parametrize(
    ("old", "new", "breaking"),
    [
        ({"type": "integer"}, {"type": "number"}, False),
        ({"type": "number"}, {"type": "integer"}, True),
        ({"type": "string", "format": "date"}, {"type": "string"}, False),
        ({"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}, True),
        ({"const": "a"}, {"enum": ["a", "b"]}, False),
        ({"enum": ["a", "b"]}, {"type": "string"}, False),
        ({"type": "string"}, {}, False),
        ({}, {"type": "string"}, True),
        (
            {"items": {"type": "string"}, "type": "array"},
            {"items": {"type": "integer"}, "type": "array"},
            True,
        ),
        (
            {
                "prefixItems": [{"type": "string"}] * 2,
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
            },
            {"items": {"type": "string"}, "type": "array"},
            False,
        ),
        (
            {"items": {"type": "string"}, "type": "array"},
            {
                "prefixItems": [{"type": "string"}] * 2,
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
            },
            True,
        ),
        (
            {"additionalProperties": {"type": "string"}, "type": "object"},
            {"additionalProperties": {"type": "integer"}, "type": "object"},
            True,
        ),
    ],
)
def test_type_changes_break_only_when_they_narrow(
    old: dict[str, Any], new: dict[str, Any], breaking: bool
) -> None:
    assert bool(breaking_changes(_message_with(old), _message_with(new))) is breaking
