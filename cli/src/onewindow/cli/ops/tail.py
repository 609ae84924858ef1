"""`onewindow ops tail`: the bus as it happens, decoded, one line a message."""

from __future__ import annotations

import json
from contextlib import aclosing
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from onewindow.cli.ops.common import Opener, audit, console, run, settings
from onewindow.ops.decoding import Decoded, decode, matches
from onewindow.ops.reading import BusReader, every_topic, registry_topic


def line(message: Decoded, *, show_personal_data: bool) -> Text:
    """One message as a line: time, type, key, where, correlation and causation, summary."""
    style = "bold red" if message.dead_letter else message.colour
    text = Text()
    text.append(message.timestamp.strftime("%H:%M:%S.%f")[:-3] + " ", style="dim")
    text.append(message.ce_type, style=style)
    text.append(f"  key={message.key}")
    text.append(f"  {message.topic_name} {message.partition}/{message.offset}", style="dim")
    text.append(f"  corr={message.correlation_id}")
    text.append(f"  cause={(message.causation_id or '-')[:8]}", style="dim")
    text.append(f"  {message.summary(show_personal_data=show_personal_data)}")
    return text


def _print(out: Console, message: Decoded, *, as_json: bool, show_personal_data: bool) -> None:
    if as_json:
        out.print(
            json.dumps(message.as_json(show_personal_data=show_personal_data), default=str),
            markup=False,
            soft_wrap=True,
        )
    else:
        out.print(line(message, show_personal_data=show_personal_data), soft_wrap=True)


async def _tail(
    topics: list[str],
    *,
    case: str | None,
    type_glob: str | None,
    from_beginning: bool,
    as_json: bool,
    show_personal_data: bool,
    limit: int | None,
    seconds: float | None,
) -> int:
    infra = settings()
    out = console()
    shown = 0
    async with (
        Opener(infra, show=show_personal_data) as opened,
        BusReader(infra.kafka_bootstrap_servers, topics, topic_prefix=infra.topic_prefix) as reader,
    ):
        if from_beginning:
            await reader.from_beginning()
        else:
            await reader.from_end()
        async with aclosing(reader.follow(seconds=seconds)) as records:
            async for record in records:
                message = decode(record, topic_prefix=infra.topic_prefix)
                if not matches(message, case, type_glob):
                    continue
                message = await opened(message)
                _print(out, message, as_json=as_json, show_personal_data=show_personal_data)
                shown += 1
                if limit is not None and shown >= limit:
                    break
    return shown


def tail(
    topic: Annotated[
        list[str] | None,
        typer.Option(help="A registry topic (repeatable); default: every topic and its .dlq."),
    ] = None,
    case: Annotated[
        str | None, typer.Option(help="Only messages of this case (key or correlation id).")
    ] = None,
    type: Annotated[
        str | None,
        typer.Option("--type", help="Only types matching this glob (or containing this text)."),
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest message, not now.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    show_pii: Annotated[
        bool,
        typer.Option("--show-pii", help="Show personal data (recorded in the audit log)."),
    ] = False,
    max_messages: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many messages.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Stop after this many seconds.")
    ] = None,
) -> None:
    """Follow the bus: every message decoded, personal data redacted, coloured by context."""
    topics = topic or every_topic()
    for name in topics:
        try:
            registry_topic(name)
        except KeyError:
            raise typer.BadParameter(
                f"{name!r} is not a registry topic", param_hint="--topic"
            ) from None
    if show_pii:
        audit("personal data shown by ops tail", topics=topics, case=case)
    run(
        _tail(
            topics,
            case=case,
            type_glob=type,
            from_beginning=from_beginning,
            as_json=as_json,
            show_personal_data=show_pii,
            limit=max_messages,
            seconds=timeout,
        )
    )
