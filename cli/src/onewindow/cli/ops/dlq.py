"""`onewindow ops dlq list|show|replay|discard`: dead letters and what operators do with them.

A replay puts the record back on the topic it failed on, with its original headers
(`ce_id` among them, so the consumers' idempotency still holds) and without the
`x-dlq-*` ones. Each dead letter is replayed or discarded at most once: the action is
claimed first in `dlq_actions` (unique by the dead letter's id), then carried out. A
replay interrupted after its claim may be run again: sending the same `ce_id` twice is
harmless, the consumer drops the repeat.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from onewindow.cli.ops.common import (
    Opener,
    audit,
    console,
    mongo,
    operator,
    ops_database_name,
    run,
    sealed,
)
from onewindow.cli.ops.common import settings as infra_settings
from onewindow.cli.ops.dlq_actions import record_discard, replay_dead_letter
from onewindow.contracts import catalog
from onewindow.contracts.topics import DLQ_SUFFIX, REGISTRY
from onewindow.ops.deadletters import DeadLetterId, actions_by_id
from onewindow.ops.decoding import Decoded, contract_refusal, decode
from onewindow.ops.reading import BusReader

dlq = typer.Typer(help="Dead letters: list, show, replay once, discard with a reason.")
DLQ_HEADER = "x-dlq-"
ERROR_WIDTH = 100


def _dead_letter_id(message: Decoded) -> DeadLetterId:
    return DeadLetterId(message.topic_name, message.partition, message.offset)


async def _dead_letters(topics: list[str]) -> tuple[list[Decoded], dict[str, dict[str, Any]]]:
    infra = infra_settings()
    found: list[Decoded] = []
    async with BusReader(
        infra.kafka_bootstrap_servers, topics, topic_prefix=infra.topic_prefix
    ) as reader:
        await reader.from_beginning()
        async for record in reader.until_end():
            found.append(decode(record, topic_prefix=infra.topic_prefix))
    client = mongo(infra)
    try:
        actions = await actions_by_id(client[ops_database_name(infra)])
    finally:
        await client.close()
    found.sort(key=lambda m: (m.topic_name, m.partition, m.offset))
    return found, actions


def _dlq_topics(topic: str | None) -> list[str]:
    names = [t.dlq for t in REGISTRY]
    if topic is None:
        return names
    wanted = topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX
    if wanted not in names:
        raise typer.BadParameter(f"{topic!r} is not a registry topic", param_hint="--topic")
    return [wanted]


@dlq.command("list")
def list_dead_letters(
    topic: Annotated[str | None, typer.Option(help="Only this topic's dead letters.")] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also those already replayed or discarded.")
    ] = False,
) -> None:
    """Dead letters per topic, with their errors; those already handled are hidden."""
    names = _dlq_topics(topic)
    messages, actions = run(_dead_letters(names))
    out = console()
    counts = Table(title="Dead letters per topic", title_justify="left", box=box.SIMPLE)
    for column in ("topic", "waiting", "handled"):
        counts.add_column(column)
    for name in names:
        on_topic = [m for m in messages if m.topic_name == name]
        handled = sum(1 for m in on_topic if str(_dead_letter_id(m)) in actions)
        if on_topic:
            counts.add_row(name, str(len(on_topic) - handled), str(handled))
    if not messages:
        out.print("No dead letters.")
        return
    out.print(counts)
    table = Table(title="Dead letters", title_justify="left", box=box.SIMPLE)
    for column in ("id", "failed at", "type", "key", "group", "attempts", "error", "handled"):
        table.add_column(column, overflow="fold")
    for message in messages:
        action = actions.get(str(_dead_letter_id(message)))
        if action is not None and not show_all:
            continue
        headers = message.headers
        table.add_row(
            str(_dead_letter_id(message)),
            headers.get("x-dlq-failed-at", ""),
            message.ce_type,
            message.key or "",
            headers.get("x-dlq-group", ""),
            headers.get("x-dlq-attempts", ""),
            headers.get("x-dlq-error", "")[:ERROR_WIDTH],
            f"{action['action']} by {action['by']}" if action else "",
        )
    out.print(table)


async def _one(
    text: str, *, show_pii: bool = False
) -> tuple[DeadLetterId, Decoded, dict[str, Any] | None]:
    infra = infra_settings()
    try:
        wanted = DeadLetterId.parse(text, topic_prefix=infra.topic_prefix)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="ID") from None
    if wanted.topic not in _dlq_topics(None):
        raise typer.BadParameter(f"{wanted.topic!r} is not a registry topic", param_hint="ID")
    async with BusReader(
        infra.kafka_bootstrap_servers, [wanted.topic], topic_prefix=infra.topic_prefix
    ) as reader:
        record = await reader.record_at(wanted.topic, wanted.partition, wanted.offset)
    if record is None:
        raise typer.BadParameter(f"there is no dead letter {wanted}", param_hint="ID")
    client = mongo(infra)
    try:
        actions = await actions_by_id(client[ops_database_name(infra)], [wanted])
    finally:
        await client.close()
    async with Opener(infra, show=show_pii) as opened:
        message = await opened(decode(record, topic_prefix=infra.topic_prefix))
    return wanted, message, actions.get(str(wanted))


@dlq.command("show")
def show(
    dead_letter: Annotated[
        str, typer.Argument(metavar="ID", help="e.g. identity.commands.dlq/3/12")
    ],
    show_pii: Annotated[
        bool, typer.Option("--show-pii", help="Show personal data (recorded in the audit log).")
    ] = False,
) -> None:
    """One dead letter: every header, the payload, and what was done with it."""
    if show_pii:
        audit("personal data shown by ops dlq show", dead_letter=dead_letter)
    wanted, message, action = run(_one(dead_letter, show_pii=show_pii))
    out = console()
    headers = Table(title=f"Dead letter {wanted}", title_justify="left", box=box.SIMPLE)
    headers.add_column("header")
    headers.add_column("value", overflow="fold")
    for name, value in sorted(message.headers.items()):
        headers.add_row(name, value, style="red" if name.startswith(DLQ_HEADER) else None)
    out.print(headers)
    payload = message.visible_data(show_personal_data=show_pii)
    out.print("payload:", markup=False)
    out.print(
        json.dumps(payload, indent=2, ensure_ascii=False)
        if not isinstance(payload, str)
        else payload,
        markup=False,
        soft_wrap=True,
    )
    if message.problem:
        out.print(f"unreadable: {message.problem}", markup=False)
    if action:
        out.print(
            f"{action['action']} by {action['by']} at {action['at']}: {action.get('reason', '')}",
            markup=False,
        )


def _corrected(message: Decoded, path: Path) -> bytes:
    """A corrected payload from a file: JSON that the message's contract accepts."""
    raw = path.read_bytes()
    try:
        model = catalog.by_type(message.ce_type)
    except catalog.UnknownMessageType:
        raise typer.BadParameter(
            f"{message.ce_type} is not a known type", param_hint="--payload"
        ) from None
    refusal = contract_refusal(model, raw)
    if refusal is not None:
        raise typer.BadParameter(f"the contract refuses it: {refusal}", param_hint="--payload")
    return raw


@dlq.command("replay")
def replay(
    dead_letter: Annotated[
        str, typer.Argument(metavar="ID", help="e.g. identity.commands.dlq/3/12")
    ],
    payload: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="A corrected payload (JSON the contract accepts) to send instead.",
        ),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who replays (default: the OS user).")] = None,
    reason: Annotated[str, typer.Option(help="Why, e.g. what was fixed.")] = "",
) -> None:
    """Send a dead letter back to its topic, once, with its original headers."""
    wanted, message, _ = run(_one(dead_letter))
    if payload is not None:
        # Sealed under the case's key, as the services write personal data (runtime.vault).
        value = run(sealed(infra_settings(), _corrected(message, payload), message.correlation_id))
    else:
        value = message.raw_value or b""
    who = by or operator()
    result = run(replay_dead_letter(wanted, message, value, who, reason))
    out = console()
    if "refused" in result:
        earlier = result["refused"] or {}
        out.print(
            f"Refused: dead letter {wanted} was already {earlier.get('action')}ed "
            f"by {earlier.get('by')} at {earlier.get('at')}.",
            markup=False,
        )
        raise typer.Exit(1)
    sent = result["sent"]
    out.print(
        f"Replayed {wanted} ({message.ce_type}, ce_id {message.id}) to {sent['topic']} "
        f"{sent['partition']}/{sent['offset']}" + (" with a corrected payload" if payload else ""),
        markup=False,
    )


@dlq.command("discard")
def discard(
    dead_letter: Annotated[
        str, typer.Argument(metavar="ID", help="e.g. identity.commands.dlq/3/12")
    ],
    reason: Annotated[str, typer.Option(help="Why it is given up on (required).")],
    by: Annotated[str | None, typer.Option(help="Who discards (default: the OS user).")] = None,
) -> None:
    """Give up on a dead letter for good, recording who and why."""
    if not reason.strip():
        raise typer.BadParameter("say why", param_hint="--reason")
    wanted, message, _ = run(_one(dead_letter))
    who = by or operator()
    result = run(record_discard(wanted, message, who, reason.strip()))
    if result is not None:
        console().print(
            f"Refused: dead letter {wanted} was already {result.get('action')}ed "
            f"by {result.get('by')} at {result.get('at')}.",
            markup=False,
        )
        raise typer.Exit(1)
    console().print(f"Discarded {wanted} ({message.ce_type}) by {who}: {reason}", markup=False)
