"""Rich renderings for the CLI: tables of sources, runs and the queue, and a crawl progress display."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import object_session

from crawler.storage.documents import Document, DocumentVersion, TriageState
from crawler.storage.links import linked_documents
from crawler.storage.runs import SourceSummary

if TYPE_CHECKING:  # importing the runner loads Scrapy: too heavy for the service and quick commands
    from crawler.runner import SourceOutcome

console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
STATUS_STYLE = {"ok": "green", "failed": "red", "blocked": "yellow", "not_configured": "magenta",
                "never_run": "dim", "running": "cyan"}


def sources_table(summaries: list[SourceSummary]) -> Table:
    table = Table(title="Sources")
    for column in ("id", "authority", "last run", "status", "items", "last error"):
        table.add_column(column, overflow="fold")
    for s in summaries:
        style = STATUS_STYLE.get(s.status, "")
        error = f"{s.last_error['message']} ({s.last_error['url']})" if s.last_error else ""
        table.add_row(s.id + ("" if s.enabled else " (disabled)"), s.authority or "",
                      s.last_run.strftime("%Y-%m-%d %H:%M UTC") if s.last_run else "—",
                      f"[{style}]{s.status}[/]", str(s.items), error)
    return table


def outcomes_table(outcomes: list[SourceOutcome]) -> Table:
    table = Table(title="Crawl summary")
    for column in ("source", "status", "req", "304", "parsed", "new", "upd", "same", "errors"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        c = o.counters
        # A source living on the generic reader says so, with the selector that missed.
        notes = o.errors[:3] + [f"[yellow]{c.get('items_generic', 0)} read generically:[/] {w}"
                                for w in o.warnings[:1] if c.get("items_generic")]
        table.add_row(o.source_id, f"[{STATUS_STYLE.get(o.status, '')}]{o.status}[/]", str(c["requests"]),
                      str(c["not_modified"]), str(c["items_parsed"]), str(c["items_new"]),
                      str(c["items_updated"]), str(c["items_unchanged"]), "\n".join(notes))
    return table


def queue_table(rows: list[tuple[Document, TriageState]]) -> Table:
    table = Table(title=f"Queue ({len(rows)} items)")
    for column in ("id", "status", "published", "source", "type", "title", "relevance"):
        table.add_column(column, overflow="fold")
    for document, triage in rows:
        status = triage.status + (" [yellow]updated[/]" if triage.updated else "")
        terms = ", ".join(document.relevance_terms[:3])
        table.add_row(str(document.id), status, str(document.published or "—"), document.source_id,
                      document.doc_type, document.title[:110],
                      f"{document.relevance_score:.2f} {terms}".strip())
    return table


def document_view(document: Document, triage: TriageState, versions: list[DocumentVersion]) -> Table:
    table = Table(show_header=False, title=f"Item {document.id}", title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    rows = [
        ("title", document.title), ("url", document.url), ("source", document.source_id),
        ("published", str(document.published or "—")), ("authority", document.authority or ""),
        ("jurisdiction", document.jurisdiction or ""), ("category", document.category or ""),
        ("doc_type", document.doc_type), ("language", document.language or ""),
        ("identifiers", ", ".join(f"{k}={v}" for k, v in document.identifiers.items())),
        ("dates", ", ".join(f"{k}={v}" for k, v in document.dates.items())),
        ("relevance", f"{document.relevance_score:.2f} ({', '.join(document.relevance_terms)})"),
        ("status", triage.status + (" (updated)" if triage.updated else "")),
        ("summary", document.summary), ("content_hash", document.content_hash),
        ("extraction", document.extraction + (" (the source's selectors missed: check title and date)"
                                              if document.extraction == "generic" else "")),
    ]
    if document.linked_to:
        rows.append(("same item as", f"item {document.linked_to} (this document seen through another source)"))
    session = object_session(document)
    for other in linked_documents(session, [document.id]).get(document.id, []) if session else []:
        rows.append((f"also in {other.source_id}", f"item {other.id}: {other.url}"))
    for version in versions:
        evidence = f"{version.warc_file}@{version.warc_offset}" if version.warc_file else "no archive"
        rows.append((f"version {version.version}", f"{version.fetched_at:%Y-%m-%d %H:%M UTC}  {evidence}"))
    for name, value in rows:
        table.add_row(name, value)
    return table


@contextmanager
def crawl_progress(source_ids: list[str]) -> Iterator:
    """A line per source with its responses and items so far; yields the progress callback."""
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                        TextColumn("{task.fields[responses]} responses, {task.fields[items]} items"),
                        TimeElapsedColumn(), console=err_console, transient=False)
    tasks = {sid: progress.add_task(sid, total=None, responses=0, items=0) for sid in source_ids}
    counts = {sid: {"responses": 0, "items": 0} for sid in source_ids}

    def on_progress(source_id: str, event: str) -> None:
        task = tasks.get(source_id)
        if task is None:
            return
        if event == "closed":
            progress.update(task, total=1, completed=1, **counts[source_id])
            return
        key = "responses" if event == "response" else "items"
        counts[source_id][key] += 1
        if key == "responses" or counts[source_id][key] % 25 == 0:  # cheap on 10,000-item crawls
            progress.update(task, **{key: counts[source_id][key]})

    with progress:
        yield on_progress
