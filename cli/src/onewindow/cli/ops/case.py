"""`onewindow ops case ID`: one case's whole story, across every service."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from onewindow.cli.ops.common import (
    APPLICATIONS_DB,
    Opener,
    audit,
    console,
    database_name,
    mongo,
    run,
    settings,
)
from onewindow.cli.ops.story import (
    Node,
    causation_tree,
    count_messages,
    latest_deadline,
    permit_steps,
    saga_events,
)
from onewindow.ops.decoding import Decoded, decode, short_name
from onewindow.ops.reading import BusReader, every_topic

MAX_COMMITS = 10_000  # a saga stream is a few dozen commits; this only bounds a loop


async def _commits(db: Any, stream: str) -> list[dict[str, Any]]:
    # One `_id` look-up per version: on FerretDB 1.24 an `_id` equality is the one filter
    # that does not read the whole collection (see onewindow.runtime.eventstore).
    commits = []
    for version in range(1, MAX_COMMITS):
        commit = await db.commits.find_one({"_id": f"{stream}#{version}"}, {"outbox": False})
        if commit is None:
            break
        commits.append(commit)
    return commits


async def gather(case_id: str, *, show_pii: bool = False) -> dict[str, Any]:
    """The case index entry, the saga's stream and every message of the case on the bus
    (with `show_pii`, their personal data opened with the vault)."""
    infra = settings()
    client = mongo(infra)
    try:
        db = client[database_name(infra, APPLICATIONS_DB)]
        index = await db.cases.find_one({"_id": case_id})
        commits = await _commits(db, f"case-{case_id}")
    finally:
        await client.close()
    messages: list[Decoded] = []
    async with (
        Opener(infra, show=show_pii) as opened,
        BusReader(
            infra.kafka_bootstrap_servers,
            every_topic(),
            topic_prefix=infra.topic_prefix,
            key=case_id,
        ) as reader,
    ):
        await reader.from_beginning()
        async for record in reader.until_end():
            message = decode(record, topic_prefix=infra.topic_prefix)
            if message.concerns(case_id):
                messages.append(await opened(message))
    return {"index": index, "commits": commits, "messages": messages}


def _node_label(node: Node, *, show_personal_data: bool) -> Text:
    message = node.message
    label = Text()
    label.append(short_name(message.ce_type), style=f"bold {message.colour}")
    label.append(f" {message.kind}", style="dim")
    label.append(f"  {message.topic_name} {message.partition}/{message.offset}", style="dim")
    label.append(f"  {message.timestamp.strftime('%H:%M:%S.%f')[:-3]}", style="dim")
    label.append(f"  {message.summary(show_personal_data=show_personal_data)}")
    if node.deliveries > 1:
        label.append(f"  delivered {node.deliveries}x (replayed)", style="yellow")
    for dead in node.dead_letters:
        label.append(
            f"\n  DEAD-LETTERED on {dead.topic_name} {dead.partition}/{dead.offset} by "
            f"{dead.headers.get('x-dlq-group', '?')}: {dead.headers.get('x-dlq-error', '?')}",
            style="bold red",
        )
    return label


def _tree(case_id: str, roots: list[Node], *, show_personal_data: bool) -> Tree:
    tree = Tree(Text(f"messages of {case_id}, by cause", style="bold"))

    def add(branch: Tree, node: Node) -> None:
        child = branch.add(_node_label(node, show_personal_data=show_personal_data))
        for grandchild in node.children:
            add(child, grandchild)

    for root in roots:
        add(tree, root)
    return tree


def _print_story(out: Console, case_id: str, found: dict[str, Any], show_pii: bool) -> None:
    index, commits, messages = found["index"], found["commits"], found["messages"]
    out.print(Text(f"Case {case_id}", style="bold underline"))
    saga = Table(title="Saga", show_header=False, title_justify="left")
    saga.add_column(style="dim")
    saga.add_column(overflow="fold")
    if index:
        for key in ("status", "open", "clock", "due_on", "escalated_for", "updated_at"):
            saga.add_row(key, str(index.get(key)))
    else:
        saga.add_row("index", "no entry in the saga's case index")
    saga.add_row("stream", f"case-{case_id}: {len(commits)} commits")
    saga.add_row("events", ", ".join(f"v{e['version']} {e['type']}" for e in saga_events(commits)))
    deadline = latest_deadline(messages) or {}
    saga.add_row(
        "deadline",
        f"due {deadline.get('due_on')}, clock {deadline.get('clock')}, "
        f"stopped {deadline.get('stopped_days', 0)} days",
    )
    out.print(saga)
    permits = Table(title="Reservations and permits", title_justify="left")
    for column in ("permit", "step", "number", "valid until", "reserved until", "at", "reasons"):
        permits.add_column(column, overflow="fold")
    for step in permit_steps(messages):
        permits.add_row(
            step.side,
            step.what,
            step.number or "",
            step.valid_until or "",
            step.reserved_until or "",
            step.at,
            step.reasons,
        )
    out.print(permits)
    roots = causation_tree(messages)
    out.print(_tree(case_id, roots, show_personal_data=show_pii))
    out.print(f"{count_messages(roots)} messages, {len(messages)} records on the bus")


def case(
    case_id: Annotated[str, typer.Argument(metavar="ID", help="The application id.")],
    as_json: Annotated[bool, typer.Option("--json", help="The story as one JSON object.")] = False,
    show_pii: Annotated[
        bool, typer.Option("--show-pii", help="Show personal data (recorded in the audit log).")
    ] = False,
) -> None:
    """One case's story: saga state, deadline, permits, and every message by cause."""
    if show_pii:
        audit("personal data shown by ops case", case=case_id)
    found = run(gather(case_id, show_pii=show_pii))
    if found["index"] is None and not found["commits"] and not found["messages"]:
        console().print(f"No case {case_id}: nothing in the saga's store or on the bus.")
        raise typer.Exit(1)
    if as_json:
        roots = causation_tree(found["messages"])
        story = {
            "id": case_id,
            "saga": found["index"],
            "saga_events": saga_events(found["commits"]),
            "deadline": latest_deadline(found["messages"]),
            "permits": [asdict(step) for step in permit_steps(found["messages"])],
            "messages": [root.as_json(show_personal_data=show_pii) for root in roots],
        }
        typer.echo(json.dumps(story, default=str))
        return
    _print_story(console(), case_id, found, show_pii)
