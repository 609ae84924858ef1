"""Is a new JSON Schema of a message backward compatible with the committed one?

Within a version (`.v1`) messages change additively only: a reader built on the new
model must read every message written under the old one, and a reader still on the
old model must find every field it knows. So these changes are breaking:

- a field removed;
- a field's type changed so that it no longer accepts what it accepted before
  (narrowing: `str | None` to `str`, `date` to `datetime`, `int` to `str`);
- an optional field made required, or a new required field (one without a default);
- an enum (`Literal`) value removed.

Additive changes pass: a new optional field, a new enum value, a type widened
(`int` to `float`, `str` to `str | None`). Schemas are pydantic's: `$defs` and
`$ref`, `anyOf` for unions, `enum`/`const` for literals, `format` for dates.
Constraints (lengths, bounds, patterns) and descriptions are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]
_UNBOUNDED = float("inf")
_JSON_KIND = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}


@dataclass(frozen=True)
class _Variant:
    """One alternative of a (possibly union) schema, with `$ref`s resolved."""

    kind: str  # a JSON type, "enum" or "any"
    node: Schema
    ref: str | None = None
    values: tuple[Any, ...] = ()

    @property
    def format(self) -> str | None:
        value = self.node.get("format")
        return value if isinstance(value, str) else None

    def describe(self) -> str:
        if self.kind == "enum":
            return "enum[" + ", ".join(repr(v) for v in self.values) + "]"
        if self.kind == "object" and self.ref:
            return self.ref
        return f"{self.kind}({self.format})" if self.format else self.kind


@dataclass
class _Comparison:
    old_defs: Schema
    new_defs: Schema
    seen: set[tuple[str, str]] = field(default_factory=set)


def _resolve(node: Schema, defs: Schema) -> tuple[Schema, str | None]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node, None
    name = ref.rsplit("/", 1)[-1]
    if not ref.startswith("#/$defs/") or name not in defs:
        raise ValueError(f"unresolvable reference {ref!r}")
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    target, _ = _resolve(defs[name], defs)
    return {**target, **siblings}, name


def _variants(node: Schema, defs: Schema) -> list[_Variant]:
    node, ref = _resolve(node, defs)
    for combinator in ("anyOf", "oneOf"):
        if combinator in node:
            return [v for option in node[combinator] for v in _variants(option, defs)]
    if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        return _variants(node["allOf"][0], defs)
    if "const" in node:
        return [_Variant("enum", node, ref, (node["const"],))]
    if "enum" in node:
        return [_Variant("enum", node, ref, tuple(node["enum"]))]
    kinds = node.get("type")
    if kinds is None:
        return [_Variant("object", node, ref)] if "properties" in node else [_Variant("any", node)]
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return [_Variant(kind, node, ref) for kind in kinds]


def _accepts_value(variant: _Variant, value: Any) -> bool:
    if variant.kind == "enum":
        return value in variant.values
    kind = _JSON_KIND.get(type(value))
    if kind == "string" and variant.format:
        return False  # cannot tell whether the value is, say, a date
    return kind == variant.kind or (kind == "integer" and variant.kind == "number")


def _covers(new: _Variant, old: _Variant) -> bool:
    if new.kind == "integer" and old.kind == "number":
        return False
    same_kind = new.kind == old.kind or (new.kind == "number" and old.kind == "integer")
    return same_kind and new.format in (None, old.format)


def _compare(old: Schema, new: Schema, path: str, ctx: _Comparison) -> list[str]:
    old_variants = _variants(old, ctx.old_defs)
    new_variants = _variants(new, ctx.new_defs)
    if any(v.kind == "any" for v in new_variants):
        return []
    problems: list[str] = []
    narrowed = False
    for variant in old_variants:
        if variant.kind == "enum":
            for value in variant.values:
                if not any(_accepts_value(n, value) for n in new_variants):
                    problems.append(f"{path}: enum value {value!r} removed")
        elif variant.kind in ("object", "array"):
            match = _counterpart(variant, new_variants)
            if match is None:
                narrowed = True
            elif variant.kind == "object":
                problems += _compare_objects(variant, match, path, ctx)
            else:
                problems += _compare_arrays(variant.node, match.node, path, ctx)
        elif not any(_covers(n, variant) for n in new_variants):
            narrowed = True
    if narrowed:
        before = " | ".join(v.describe() for v in old_variants)
        after = " | ".join(v.describe() for v in new_variants)
        problems.append(f"{path}: type changed from {before} to {after}")
    return problems


def _counterpart(old: _Variant, candidates: list[_Variant]) -> _Variant | None:
    same_kind = [c for c in candidates if c.kind == old.kind]
    named = [c for c in same_kind if old.ref is not None and c.ref == old.ref]
    found = named or same_kind
    return found[0] if found else None


def _compare_objects(old: _Variant, new: _Variant, path: str, ctx: _Comparison) -> list[str]:
    if old.ref is not None and new.ref is not None:
        if (old.ref, new.ref) in ctx.seen:
            return []  # compared already (or being compared, for a recursive model)
        ctx.seen.add((old.ref, new.ref))
    problems: list[str] = []
    old_props: Schema = old.node.get("properties", {})
    new_props: Schema = new.node.get("properties", {})
    for name, schema in old_props.items():
        if name not in new_props:
            problems.append(f"{path}.{name}: field removed")
        else:
            problems += _compare(schema, new_props[name], f"{path}.{name}", ctx)
    old_required = set(old.node.get("required", ()))
    for name in new.node.get("required", ()):
        if name in old_required:
            continue
        if name in old_props:
            problems.append(f"{path}.{name}: optional field made required")
        else:
            problems.append(f"{path}.{name}: new required field without a default")
    old_values, new_values = (
        old.node.get("additionalProperties"),
        new.node.get("additionalProperties"),
    )
    if isinstance(old_values, dict) and isinstance(new_values, dict):
        problems += _compare(old_values, new_values, f"{path}.<key>", ctx)
    elif isinstance(old_values, dict) and new_values is False:
        problems.append(f"{path}: no longer accepts arbitrary keys")
    elif old_values is True and isinstance(new_values, dict):
        problems.append(f"{path}.<key>: type changed from any to {new_values.get('type', '?')}")
    return problems


def _compare_arrays(old: Schema, new: Schema, path: str, ctx: _Comparison) -> list[str]:
    """Each element position the old schema allows must be allowed by the new one."""
    old_prefix: list[Schema] = old.get("prefixItems", [])
    new_prefix: list[Schema] = new.get("prefixItems", [])
    # Per position: the schema of the new array there (None: anything goes; False: nothing).
    new_rest = new.get("items")

    def new_at(index: int) -> Schema | bool | None:
        return new_prefix[index] if index < len(new_prefix) else new_rest

    pairs: list[tuple[str, Schema, Schema | bool | None]] = [
        (f"{path}[{i}]", schema, new_at(i)) for i, schema in enumerate(old_prefix)
    ]
    old_rest = old.get("items")
    if isinstance(old_rest, dict):
        # Old trailing elements may sit at any position from len(old_prefix) on.
        later = range(len(old_prefix), max(len(old_prefix), len(new_prefix)) + 1)
        pairs += [(f"{path}[]", old_rest, new_at(i)) for i in later]
    problems: list[str] = []
    old_min, new_min = old.get("minItems", 0), new.get("minItems", 0)
    old_max, new_max = old.get("maxItems", _UNBOUNDED), new.get("maxItems", _UNBOUNDED)
    if new_min > old_min or new_max < old_max:
        problems.append(
            f"{path}: length narrowed from {old_min}..{old_max} to {new_min}..{new_max}"
        )
    for where, schema, counterpart in pairs:
        if isinstance(counterpart, dict):
            problems += _compare(schema, counterpart, where, ctx)
        elif counterpart is False:
            problems.append(f"{where}: element no longer accepted")
    return problems


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every change from `old` to `new` that is not backward compatible, as readable lines
    (`IdentityRejected.person_ref: field removed`); an empty list if `new` is additive."""
    ctx = _Comparison(old.get("$defs", {}), new.get("$defs", {}))
    # dict.fromkeys: an element compared at several positions reports its change once.
    return list(dict.fromkeys(_compare(old, new, str(old.get("title", "$")), ctx)))
