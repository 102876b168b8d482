"""`regwatch draft`: bulletin drafts (a Chinese title and 摘要) for accepted items, from the configured
model endpoint or, without one, from the documents' own lead sentences. Thin, like regwatch.cli: it
calls editorial.drafting and prints what was stored."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from crawler.errors import ConfigError
from editorial.drafts import Draft, accepted_without_draft
from editorial.triage import TriageError, check_month
from regwatch import console as views
from regwatch.cli import _config, _session, app
from regwatch.cli_web import _login_name


def _say(text: str) -> None:
    views.console.print(text, highlight=False, soft_wrap=True)


def _draft_view(draft: Draft) -> None:
    made_by = f"model {draft.model} · prompt {draft.prompt_version}" if draft.kind == "model" else "extractive"
    _say(f"[bold]item {draft.document_id}[/]  {escape(made_by)} · {draft.created_at:%Y-%m-%d %H:%M} UTC")
    _say(f"  标题：{escape(draft.title)}")
    first, *more = draft.summary.split("\n")
    _say(f"  摘要：{escape(first)}")
    for paragraph in more:
        _say(f"        {escape(paragraph)}")


def _as_json(item: int, draft: Draft | None, error: Exception | None) -> dict:
    if draft is None:
        return {"item": item, "ok": False, "error": str(error)}
    return {"item": item, "ok": True, "title": draft.title, "summary": draft.summary, "kind": draft.kind,
            "model": draft.model, "prompt_version": draft.prompt_version,
            "created_at": draft.created_at.isoformat()}


@app.command()
def draft(ctx: typer.Context,
          item_ids: Annotated[list[int] | None, typer.Argument(metavar="ITEM_ID", help="items to draft")] = None,
          month: Annotated[str | None, typer.Option(help="every accepted item of this bulletin month (YYYY-MM) "
                                                          "with no draft and no editorial text")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="the drafts as JSON")] = False,
          actor: Annotated[str | None, typer.Option(help="who asks (default: your login name)")] = None) -> None:
    """Draft the bulletin's Chinese title and 摘要 for items (drafting.endpoint, else their lead sentences).

    A draft replaces the item's earlier draft, never what an editor saved. Exit 1 when any failed."""
    from editorial.drafting import Drafter, draft_items

    if not item_ids and not month:
        views.err_console.print("[red]error:[/] give item ids or --month YYYY-MM", highlight=False)
        raise typer.Exit(2)
    config = _config(ctx)
    try:
        month = check_month(month) if month else None
        drafter = Drafter(config)
    except (TriageError, ConfigError) as error:
        views.err_console.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(2) from error
    with _session(config) as session:
        wanted = list(item_ids or []) + (accepted_without_draft(session, month=month) if month else [])
        if not wanted:
            drafter.close()
            views.err_console.print(f"every accepted item of {month} has a draft or editorial text", highlight=False)
            if as_json:
                print("[]")
            return
        with drafter:
            outcomes = draft_items(session, drafter, wanted, actor or _login_name())
    for outcome in outcomes:
        if outcome.error is not None:
            views.err_console.print(f"[red]{outcome.error.kind}:[/] {escape(str(outcome.error))}", highlight=False,
                                    soft_wrap=True)
        elif not as_json:
            _draft_view(outcome.draft)
    if as_json:
        print(json.dumps([_as_json(o.item, o.draft, o.error) for o in outcomes], ensure_ascii=False, indent=2))
    failed = sum(o.error is not None for o in outcomes)
    views.err_console.print(f"drafted {len(outcomes) - failed} of {len(outcomes)} items"
                            + (f", {failed} failed" if failed else ""), highlight=False)
    if failed:
        raise typer.Exit(1)
