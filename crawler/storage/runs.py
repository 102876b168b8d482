"""Sources, crawl runs, their errors, and the HTTP validators kept for conditional GET."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.config import SourceConfig
from crawler.storage.completeness import run_completeness
from crawler.storage.models import CrawlRun, Document, HttpValidator, RunError, Source

RUN_STATUSES = ("ok", "failed", "blocked", "not_configured")


def now_utc() -> datetime:
    return datetime.now(UTC)


def sync_sources(session: Session, sources: list[SourceConfig]) -> None:
    """Mirror the configured sources into the sources table (runs and documents refer to them)."""
    for source in sources:
        row = session.get(Source, source.id) or Source(id=source.id)
        row.spider, row.name, row.authority = source.spider, source.name, source.authority
        row.jurisdiction, row.category, row.enabled = source.jurisdiction, source.category, source.enabled
        session.add(row)
    session.commit()


def start_run(session: Session, source_id: str, replay: bool = False) -> int:
    run = CrawlRun(source_id=source_id, started_at=now_utc(), status="running", replay=replay)
    session.add(run)
    session.commit()
    return run.id


def record_error(session: Session, run_id: int, kind: str, message: str, url: str | None) -> None:
    """Stored at once, so a crawl killed later still shows what went wrong."""
    session.add(RunError(run_id=run_id, kind=kind, url=url, message=message, at=now_utc()))
    run = session.get(CrawlRun, run_id)
    run.error_count += 1
    session.commit()


def finish_run(session: Session, run_id: int, status: str, counters: dict[str, int],
               warc_file: str | None = None) -> CrawlRun:
    run = session.get(CrawlRun, run_id)
    run.status, run.finished_at, run.warc_file = status, now_utc(), warc_file
    for name, value in counters.items():
        setattr(run, name, value)
    session.commit()
    return run


def last_finished_run(session: Session, source_id: str, status: str | None = None) -> CrawlRun | None:
    query = select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.finished_at.is_not(None))
    if status:
        query = query.where(CrawlRun.status == status)
    return session.scalars(query.order_by(CrawlRun.id.desc()).limit(1)).first()


def run_errors(session: Session, run_id: int) -> list[RunError]:
    return list(session.scalars(select(RunError).where(RunError.run_id == run_id).order_by(RunError.id)))


def load_validators(session: Session, source_id: str) -> dict[str, dict[str, str | None]]:
    rows = session.scalars(select(HttpValidator).where(HttpValidator.source_id == source_id))
    return {row.url: {"etag": row.etag, "last_modified": row.last_modified} for row in rows}


def save_validators(session: Session, source_id: str, validators: dict[str, dict[str, str | None]]) -> None:
    for url, values in validators.items():
        row = session.get(HttpValidator, (source_id, url)) or HttpValidator(source_id=source_id, url=url)
        row.etag, row.last_modified = values.get("etag"), values.get("last_modified")
        session.add(row)
    session.commit()


@dataclass
class SourceSummary:
    id: str
    enabled: bool
    authority: str | None
    status: str
    last_run: datetime | None
    last_error: dict[str, Any] | None
    items: int
    # Days the last run reconciled with the source's own counts (see storage.completeness).
    completeness: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        found = {
            "id": self.id, "enabled": self.enabled, "authority": self.authority, "status": self.status,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "last_error": self.last_error, "items": self.items,
        }
        # Only sources that reconcile days with the source's own counts have this key.
        return found | ({"completeness": self.completeness} if self.completeness is not None else {})


def source_summaries(session: Session, sources: list[SourceConfig]) -> list[SourceSummary]:
    """One line per configured source: the status of its last finished run and its stored items."""
    counts = dict(session.execute(select(Document.source_id, func.count()).group_by(Document.source_id)).all())
    summaries = []
    for source in sources:
        run = last_finished_run(session, source.id)
        error = None
        if run is not None and run.error_count:
            first = run_errors(session, run.id)[0]
            error = {"kind": first.kind, "message": first.message, "url": first.url}
        summaries.append(SourceSummary(
            id=source.id, enabled=source.enabled, authority=source.authority,
            status=run.status if run else "never_run", last_run=run.finished_at if run else None,
            last_error=error, items=counts.get(source.id, 0),
            completeness=run_completeness(session, run.id) if run else None,
        ))
    return summaries


def close_abandoned_runs(session: Session, source_id: str) -> None:
    """Runs of this source left 'running' by a killed crawl are closed as failed."""
    stale = session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id,
                                                   CrawlRun.finished_at.is_(None)))
    for run in stale:
        run.status, run.finished_at = "failed", now_utc()
        run.error_count += 1
        session.add(RunError(run_id=run.id, kind="fetch_failed", url=None,
                             message="the crawl was killed before it finished", at=now_utc()))
    session.commit()
