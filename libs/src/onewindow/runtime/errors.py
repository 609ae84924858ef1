"""What an error may say where people other than the sender read it (logs, dead-letter
headers, the operators' views): the kind of error and where it is, never the submitted
values. A pydantic validation error names each field path and error type only; its own
text would quote the input (a passport number, a name, a salary)."""

from __future__ import annotations

import json

from pydantic import ValidationError

LIMIT = 2000


def safe_description(error: BaseException) -> str:
    """One line about `error` that carries no submitted value."""
    if isinstance(error, ValidationError):
        problems = [
            f"{'.'.join(str(part) for part in e['loc']) or '(body)'}: {e['type']}"
            for e in error.errors(include_input=False, include_url=False, include_context=False)
        ]
        shown = "; ".join(problems[:20])
        more = f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        return _one_line(
            f"{error.error_count()} validation errors for {error.title}: {shown}{more}"
        )
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})"
    return _one_line(str(error) or type(error).__name__)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:LIMIT]
