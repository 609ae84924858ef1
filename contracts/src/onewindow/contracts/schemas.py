"""JSON Schemas of every message, generated into `contracts/schemas/` and committed.

One file per CloudEvents type, `<ce_type>.json`: pydantic's schema of the model
(validation mode: fields with defaults are optional) with the JSON Schema dialect and
the type added, written with sorted keys so regeneration is stable.

    python -m onewindow.contracts.schemas            # regenerate (refuses breaking changes)
    python -m onewindow.contracts.schemas --check    # exit 1 if the committed files differ

The committed files are what consumers rely on; `compatibility.breaking_changes`
compares them with the current models (see contracts/tests/test_schemas.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from onewindow.contracts.catalog import MESSAGES
from onewindow.contracts.compatibility import breaking_changes
from onewindow.contracts.message import Message

Schema = dict[str, Any]
# contracts/src/onewindow/contracts/schemas.py -> contracts/schemas/
SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_of(model: type[Message]) -> Schema:
    """The JSON Schema of one message model, naming its CloudEvents type."""
    schema = model.model_json_schema()
    schema["$schema"] = DIALECT
    schema["x-ce-type"] = model.TYPE
    return schema


def render(schema: Schema) -> str:
    """The stable text of a schema: two-space indent, sorted keys, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def file_name(ce_type: str) -> str:
    return f"{ce_type}.json"


def current_schemas() -> dict[str, Schema]:
    """The schema of every message in the catalog, by CloudEvents type."""
    return {ce_type: schema_of(model) for ce_type, model in sorted(MESSAGES.items())}


def committed_schemas(directory: Path = SCHEMA_DIR) -> dict[str, Schema]:
    """The schemas committed in `directory`, by CloudEvents type (the file name's stem)."""
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    }


def differences(directory: Path = SCHEMA_DIR) -> list[str]:
    """What `directory` lacks or holds differently from the generated schemas."""
    found: list[str] = []
    generated = current_schemas()
    for ce_type, schema in generated.items():
        path = directory / file_name(ce_type)
        if not path.exists():
            found.append(f"{path.name}: missing")
        elif path.read_text(encoding="utf-8") != render(schema):
            found.append(f"{path.name}: differs from the model")
    for path in sorted(directory.glob("*.json")):
        if path.name.removesuffix(".json") not in generated:
            found.append(f"{path.name}: no message of this type in the catalog")
    return found


def breaking_against_committed(directory: Path = SCHEMA_DIR) -> list[str]:
    """Every breaking change of the current models against the committed schemas,
    including a committed message type that no longer exists."""
    generated = current_schemas()
    problems: list[str] = []
    for ce_type, committed in committed_schemas(directory).items():
        if ce_type not in generated:
            problems.append(f"{ce_type}: message type removed")
        else:
            problems += breaking_changes(committed, generated[ce_type])
    return problems


def write_schemas(directory: Path = SCHEMA_DIR, *, allow_breaking: bool = False) -> list[str]:
    """Write every schema whose text changed; return the file names written.

    Raises `BreakingChange` (and writes nothing) if a current model breaks a
    committed schema, unless `allow_breaking`. Never deletes a committed schema.
    """
    problems = breaking_against_committed(directory) if directory.exists() else []
    if problems and not allow_breaking:
        raise BreakingChange(problems)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for ce_type, schema in current_schemas().items():
        path = directory / file_name(ce_type)
        text = render(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path.name)
    return written


class BreakingChange(Exception):
    """The models no longer read what the committed schemas describe."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m onewindow.contracts.schemas",
        description="Generate the JSON Schema of every message into contracts/schemas/.",
    )
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="where the schemas live")
    parser.add_argument("--check", action="store_true", help="exit 1 if the files differ")
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite even if a change is not backward compatible (a new version is better)",
    )
    args = parser.parse_args(argv)
    if args.check:
        found = differences(args.dir)
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print("run `make schemas` to regenerate", file=sys.stderr)
        return 1 if found else 0
    try:
        written = write_schemas(args.dir, allow_breaking=args.allow_breaking)
    except BreakingChange as error:
        print("not backward compatible with the committed schemas:", file=sys.stderr)
        for line in error.problems:
            print(f"  {line}", file=sys.stderr)
        return 2
    print(f"{len(written)} schema(s) written to {args.dir}" if written else "schemas up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
