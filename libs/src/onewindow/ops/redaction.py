"""What of a message's payload an operator sees without asking for personal data.

DOMAIN.md "Personal data": operator views redact it by default. Two rules make that hold
for every record of the bus, a dead letter's too:

- A field that carries personal data by the contracts (`surname`, `passport.number`, …)
  is shown as `[redacted]`.
- A payload is trusted only as far as its contract vouches for it. A field the contract
  does not declare, or a value of a type the contract refuses (what a dead letter
  usually holds: a name typed into the salary, a passport number where an object
  belongs), may carry anything, so it is withheld; the error names the field and what is
  wrong with it, never the value. A payload that is not JSON, or whose type no contract
  names, is withheld whole.

`--show-pii` on the command line (recorded in the audit log) shows the payload as sent.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from onewindow.contracts import catalog
from onewindow.contracts.personal import is_personal

REDACTED = "[redacted]"
INVALID = "[withheld: refused by the contract]"
UNDECLARED = "[withheld: not in the contract]"
# What a summary leaves out: the stand-ins above.
HIDDEN = frozenset({REDACTED, INVALID, UNDECLARED})
SEQUENCES = (tuple, list, set, frozenset, Sequence)


def redact(value: Any, *, parent: str = "") -> Any:
    """`value` (decoded JSON) with every personal field replaced by `[redacted]`."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if is_personal(key, item, parent=parent) and item is not None
            else redact(item, parent=key)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, parent=parent) for item in value]
    return value


def visible(ce_type: str, data: Any, *, matches_contract: bool) -> Any:
    """A payload (`data`, decoded JSON, or the text of one that is not JSON) as an operator
    sees it by default. `matches_contract`: the payload was validated by its type's
    contract, so its values need no second look (only undeclared fields are withheld)."""
    if isinstance(data, str | bytes):
        return f"[withheld: {len(data)} characters that are not JSON]"
    try:
        model = catalog.by_type(ce_type)
    except catalog.UnknownMessageType:
        return "[withheld: no contract names this type]"
    return _walk(data, model, parent="", trusted=matches_contract)


def _walk(value: Any, annotation: Any, *, parent: str, trusted: bool) -> Any:
    if value is None:
        return None
    if annotation is Any:
        return redact(value, parent=parent)
    model = _model_in(annotation)
    if isinstance(value, Mapping):
        if model is None:  # a free-form mapping (a certificate's `details`), or none belongs
            return (
                redact(value, parent=parent) if trusted or _accepts(annotation, value) else INVALID
            )
        declared = model.model_fields
        return {
            key: REDACTED
            if item is not None and _personal(key, item, parent, declared)
            else UNDECLARED
            if key not in declared
            else _walk(item, declared[key].annotation, parent=key, trusted=trusted)
            for key, item in value.items()
        }
    if isinstance(value, list):
        item = _item_in(annotation)
        if item is None:
            return INVALID
        return [_walk(entry, item, parent=parent, trusted=trusted) for entry in value]
    if model is None and (trusted or _accepts(annotation, value)):
        return value
    return INVALID


def _personal(key: str, item: Any, parent: str, declared: Mapping[str, Any]) -> bool:
    # A field personal by its name; or by its text (an actor's passport) where the
    # contract has a text there: a passport object given as a text is refused, not hidden.
    if is_personal(key, parent=parent):
        return True
    return (
        key in declared
        and is_personal(key, item, parent=parent)
        and _accepts(declared[key].annotation, item)
    )


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types an annotation allows: `X | None` is X and None; `Annotated[X, …]` is X."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return tuple(member for arg in get_args(annotation) for member in _members(arg))
    return (annotation,)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def _item_in(annotation: Any) -> Any:
    """What a sequence the annotation allows holds (None if it allows no sequence)."""
    for member in _members(annotation):
        if member is Any:
            return Any
        if get_origin(member) in SEQUENCES or member in SEQUENCES:
            items = [arg for arg in get_args(member) if arg is not Ellipsis]
            return items[0] if items else Any
    return None


def _accepts(annotation: Any, value: Any) -> bool:
    """Whether the contract's type for a field takes `value` (as JSON decodes it)."""
    try:
        adapter = _adapter(annotation)
    except TypeError:  # an annotation that cannot be a cache key
        adapter = TypeAdapter(annotation)
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@functools.lru_cache(maxsize=512)
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)
