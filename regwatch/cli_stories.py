"""`regwatch stories`: group stored items into stories, list them, split an item out, undo a split.
Thin, like regwatch.cli: storage.stories does the work."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from crawler.storage import stories, story_views
from crawler.storage.models import Document
from crawler.storage.story_models import Story
from regwatch import console as views
from regwatch.cli import _config, _session, app

stories_app = typer.Typer(help="One story per event across sources: items of different sources about the same event.",
                          no_args_is_help=True)
app.add_typer(stories_app, name="stories")


def _settings(ctx: typer.Context, window_days: int | None, min_score: float | None) -> stories.StorySettings:
    configured = _config(ctx).stories
    return stories.StorySettings(window_days=configured.window_days if window_days is None else window_days,
                                 min_score=configured.min_score if min_score is None else min_score)


@stories_app.command("rebuild")
def rebuild(ctx: typer.Context,
            window_days: Annotated[int | None, typer.Option(min=0, help="days apart (default: stories.window_days)")]
            = None,
            min_score: Annotated[float | None, typer.Option(min=0.01, help="evidence needed (default: 1.0)")]
            = None) -> None:
    """Group every stored item again (for a database from before stories, or after changing the
    window or threshold). Items an editor split out stay out; decisions are left as they are."""
    settings = _settings(ctx, window_days, min_score)
    with _session(_config(ctx)) as session:
        report = stories.rebuild(session, settings)
        session.commit()
    views.console.print(f"{report.documents} items read: {report.stories} stories of {report.grouped} items "
                        f"(window {settings.window_days} days, score ≥ {settings.min_score:g}); "
                        f"{report.kept_apart} items kept apart by editors", highlight=False)


@stories_app.command("list")
def list_stories(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False,
                 limit: Annotated[int, typer.Option(min=1)] = 50) -> None:
    """The newest stories with their members and why each joined."""
    with _session(_config(ctx)) as session:
        heads = session.scalars(select_heads(limit)).all()
        found = story_views.stories_of(session, heads)
    if as_json:
        for head in heads:
            print(json.dumps(found[head].as_json(), ensure_ascii=False, default=str))
        return
    table = Table(title=f"Stories ({len(heads)})", show_lines=True)
    for column in ("story", "item", "source", "published", "title", "joined by"):
        table.add_column(column)
    for head in heads:
        for member in found[head].members:
            table.add_row(str(found[head].id) if member.is_head else "", f"{member.id}{' (head)' * member.is_head}",
                          member.source_id, str(member.published or "—"), escape(member.title[:80]),
                          escape(reasons_text(member.joined_by)))
    views.console.print(table)


def select_heads(limit: int):
    from sqlalchemy import select

    return (select(Story.head_id).join(Document, Document.id == Story.head_id)
            .order_by(Document.published.desc().nulls_last(), Story.id.desc()).limit(limit))


def reasons_text(joined_by: dict | None) -> str:
    if not joined_by:
        return ""
    parts = [f"{r['kind']} {r['value']} ({r['score']:g})" for r in joined_by.get("reasons", [])]
    return f"with {joined_by['with']}, score {joined_by['score']:g}: " + "; ".join(parts)


@stories_app.command("split")
def split(ctx: typer.Context, item_id: int,
          actor: Annotated[str, typer.Option("--as", help="who splits it (recorded in the item's history)")]
          = "cli") -> None:
    """Take an item out of its story for good: it is decided on its own and never grouped again."""
    with _session(_config(ctx)) as session:
        try:
            story_id = stories.split(session, item_id, actor)
        except stories.StoryError as error:
            views.err_console.print(f"[red]error:[/] {error}", highlight=False)
            raise typer.Exit(1) from error
        session.commit()
    views.console.print(f"item {item_id} split out of story {story_id}; it stays out when stories are rebuilt")


@stories_app.command("unsplit")
def unsplit(ctx: typer.Context, item_id: int,
            actor: Annotated[str, typer.Option("--as", help="who undoes the split")] = "cli") -> None:
    """Undo a split: the item may be grouped again (and is, at once, if it matches a story)."""
    settings = _settings(ctx, None, None)
    with _session(_config(ctx)) as session:
        try:
            joined = stories.allow_grouping(session, item_id, actor, settings)
        except stories.StoryError as error:
            views.err_console.print(f"[red]error:[/] {error}", highlight=False)
            raise typer.Exit(1) from error
        session.commit()
    views.console.print(f"item {item_id} may be grouped again" + ("; it joined a story" if joined else ""))
