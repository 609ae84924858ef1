"""The bus's AsyncAPI document: `/asyncapi.json` as committed, `/asyncapi` as a page.

The page is rendered here from the JSON, in plain HTML with the console's stylesheet,
so reading it needs no network and no script from anywhere.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from onewindow.contracts.asyncapi import committed_document
from onewindow.runtime.problems import ProblemError

router = APIRouter(tags=["bus"])
MAX_DEPTH = 6


def _document() -> dict[str, Any]:
    try:
        return committed_document()
    except FileNotFoundError:
        raise ProblemError(
            404, "not-found", "The AsyncAPI document has not been generated (make asyncapi)."
        ) from None


@router.get("/asyncapi.json", summary="The AsyncAPI 3.0 document of the bus")
async def asyncapi_json() -> JSONResponse:
    return JSONResponse(_document())


@router.get("/asyncapi", response_class=HTMLResponse, summary="The AsyncAPI document, readable")
async def asyncapi_page() -> HTMLResponse:
    return HTMLResponse(render_page(_document()))


def _resolve(node: Any, document: dict[str, Any]) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node = target
    return node


def _type_label(schema: dict[str, Any], document: dict[str, Any]) -> str:
    if "$ref" in schema:
        return escape(str(schema["$ref"]).rsplit("/", 1)[-1])
    if "anyOf" in schema:
        return " | ".join(_type_label(option, document) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    if "const" in schema:
        return f"<code>{escape(str(schema['const']))}</code>"
    label = escape(str(schema.get("type", "any")))
    if schema.get("format"):
        label += f" ({escape(str(schema['format']))})"
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        label += " of " + _type_label(schema["items"], document)
    return label


def render_schema(schema: Any, document: dict[str, Any], depth: int = 0) -> str:
    """A schema's properties as nested lists (references followed, depth bounded)."""
    schema = _resolve(schema, document)
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return ""
    properties = schema.get("properties") or {}
    if not properties:
        return ""
    required = set(schema.get("required", ()))
    items = []
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        mark = " <em>required</em>" if name in required else ""
        note = f" — {escape(str(prop['description']))}" if prop.get("description") else ""
        nested = _nested(prop, document, depth)
        items.append(
            f"<li><code>{escape(name)}</code>: {_type_label(prop, document)}{mark}{note}"
            f"{nested}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def _nested(prop: dict[str, Any], document: dict[str, Any], depth: int) -> str:
    for candidate in (prop, prop.get("items"), *(prop.get("anyOf") or ())):
        if isinstance(candidate, dict):
            rendered = render_schema(candidate, document, depth + 1)
            if rendered:
                return rendered
    return ""


def render_page(document: dict[str, Any]) -> str:
    """The whole document as one HTML page: channels, their operations and messages."""
    info = document.get("info", {})
    operations = document.get("operations", {})
    sections = []
    for name, channel in sorted(document.get("channels", {}).items()):
        ops = [
            f"<li>{escape(str(op.get('title') or op_id))} <small>({escape(op_id)})</small></li>"
            for op_id, op in sorted(operations.items())
            if op.get("channel", {}).get("$ref") == f"#/channels/{name}"
        ]
        messages = []
        for label, ref in sorted(channel.get("messages", {}).items()):
            message = _resolve(ref, document)
            payload = render_schema(message.get("payload", {}), document) or "<p>Raw bytes.</p>"
            messages.append(
                f"<details><summary><code>{escape(str(message.get('title', label)))}</code>"
                f"</summary>{payload}</details>"
            )
        sections.append(
            f'<section id="{escape(name)}"><h2><code>{escape(name)}</code></h2>'
            f"<p>{escape(str(channel.get('description', '')))}</p>"
            f"<h3>Operations</h3><ul>{''.join(ops)}</ul>"
            f"<h3>Messages</h3>{''.join(messages)}</section>"
        )
    servers = "".join(
        f"<li><code>{escape(name)}</code>: {escape(str(server.get('protocol')))}://"
        f"{escape(str(server.get('host')))}</li>"
        for name, server in sorted(document.get("servers", {}).items())
    )
    toc = "".join(
        f'<li><a href="#{escape(name)}">{escape(name)}</a></li>'
        for name in sorted(document.get("channels", {}))
    )
    headers = render_schema(
        document.get("components", {}).get("schemas", {}).get("CloudEventsHeaders", {}),
        document,
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(str(info.get('title', 'AsyncAPI')))}</title>"
        '<link rel="stylesheet" href="/ops/static/ops.css"></head><body class="doc">'
        f"<h1>{escape(str(info.get('title', '')))} <small>{escape(str(info.get('version', '')))}"
        f" · AsyncAPI {escape(str(document.get('asyncapi', '')))}</small></h1>"
        f"<p>{escape(str(info.get('description', '')))}</p>"
        '<p><a href="/asyncapi.json">The document as JSON</a></p>'
        f"<h2>Servers</h2><ul>{servers}</ul><h2>Headers of every message</h2>{headers}"
        f"<h2>Topics</h2><ul>{toc}</ul>{''.join(sections)}</body></html>"
    )
