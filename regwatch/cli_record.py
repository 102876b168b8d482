"""`regwatch record`: a source's live responses as example files (spiders/recording.py does the work).
Thin, like regwatch.cli: it calls record_source and renders the report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from crawler.errors import ConfigError, NotConfigured
from regwatch import console as views
from regwatch.cli import _config, app

if TYPE_CHECKING:  # importing spiders.recording loads Scrapy: too heavy for the quick commands
    from spiders.recording import RecordedFile, RecordReport


def _say(text: str) -> None:
    # soft_wrap: a URL or a title is never broken over lines, so it can be copied
    views.console.print(text, highlight=False, soft_wrap=True)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _file_view(recorded: RecordedFile) -> None:
    _say(f"\n[bold]{escape(recorded.body.name)}[/]  {recorded.kind}, {recorded.role}  {escape(recorded.url)}")
    if recorded.error is not None:
        _say(f"  [red]{recorded.error.kind}:[/] {escape(str(recorded.error))}")
        return
    _say(f"  {_count(len(recorded.items), 'item')}: {recorded.count('source')} read by the source's parser, "
         f"{recorded.count('generic')} filled in by the generic reader")
    for item in recorded.items:
        style = "yellow" if item["extraction"] == "generic" else "green"
        title = escape(item["title"] or "(no title)")
        _say(f"    [{style}]{item['extraction']:<7}[/] {item['published'] or '—':<10}  {title}")
    for warning in recorded.warnings:
        _say(f"  [yellow]{warning.kind}:[/] {escape(warning.message)}")
    where = f"wrote {recorded.expected_path.name}" if recorded.expected_path else "not written: add --write-expected"
    _say(f"  expected JSON ({escape(where)}):")
    print(recorded.expected, end="")


def _summary(report: RecordReport) -> None:
    generic = sum(f.count("generic") for f in report.files)
    refused = sum(f.error is not None for f in report.files)
    _say(f"\nrecorded {_count(len(report.files), 'response')} of {report.source_id} into {escape(str(report.folder))} "
         f"({_count(sum(len(f.items) for f in report.files), 'item')}, {generic} read generically, "
         f"{refused} refused by the parser, {_count(len(report.errors), 'error')})")
    _say(f"review them (keep, rename or delete each case), then: python -m tests.regenerate_examples "
         f"{report.source_id}")


def _error(label: str, message: str) -> None:
    views.err_console.print(f"[red]{label}:[/] {escape(message)}", highlight=False, soft_wrap=True)


@app.command()
def record(
    ctx: typer.Context,
    source_id: str,
    url: Annotated[str | None, typer.Option(help="record this URL instead of the source's index URLs")] = None,
    max_documents: Annotated[int, typer.Option("--max", min=0, help="document pages to fetch at most")] = 5,
    out: Annotated[Path | None, typer.Option(help="write under OUT/SOURCE_ID (default: tests/examples)")] = None,
    write_expected: Annotated[bool, typer.Option("--write-expected", help="also write <case>.expected.json")] = False,
    setting: Annotated[list[str] | None, typer.Option("-s", help="Scrapy setting NAME=VALUE")] = None,
) -> None:
    """Fetch a source's index pages and a few documents politely, as a crawl does; save them as example
    files and show what its parser reads from each. Exit 1 when nothing could be recorded."""
    from crawler.runner import parse_overrides
    from spiders.recording import record_source

    config = _config(ctx)
    try:
        report = record_source(config, source_id, url=url, max_documents=max_documents, out_dir=out,
                               overrides=parse_overrides(setting or []), write_expected=write_expected)
    except (ConfigError, NotConfigured) as error:
        _error("config error", str(error))
        raise typer.Exit(2) from error
    for recorded in report.files:
        _file_view(recorded)
    for error in report.errors:
        _error("error", error)
    if not report.files:
        views.err_console.print(f"nothing recorded for {source_id}: no URL answered with a page", highlight=False)
        raise typer.Exit(1)
    _summary(report)
