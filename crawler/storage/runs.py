"""Sources, crawl runs, their errors, and the HTTP validators kept for conditional GET."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crawler.config import SourceConfig
from crawler.errors import WARNING_KINDS
from crawler.storage.completeness import run_completeness
from crawler.storage.models import CrawlRun, Document, HttpValidator, RunError, Source

RUN_STATUSES = ("ok", "failed", "blocked", "not_configured")


def now_utc() -> datetime:
    return datetime.now(UTC)


def sync_sources(session: Session, sources: list[SourceConfig]) -> None:
    """Mirror the configured sources into the sources table (runs and documents refer to them)."""
    stored = {row.id: row for chunk in _chunks([source.id for source in sources])
              for row in session.scalars(select(Source).where(Source.id.in_(chunk)))}
    for source in sources:
        row = stored.get(source.id) or Source(id=source.id)
        row.spider, row.name, row.authority = source.spider, source.name, source.authority
        row.jurisdiction, row.category, row.enabled = source.jurisdiction, source.category, source.enabled
        session.add(row)
    session.commit()


def start_run(session: Session, source_id: str, replay: bool = False) -> int:
    return start_runs(session, [source_id], replay)[source_id]


def start_runs(session: Session, source_ids: list[str], replay: bool = False) -> dict[str, int]:
    """A 'running' run per source, in one transaction (a crawl starts them all at once)."""
    started = {source_id: CrawlRun(source_id=source_id, started_at=now_utc(), status="running", replay=replay)
               for source_id in source_ids}
    session.add_all(started.values())
    session.commit()
    return {source_id: run.id for source_id, run in started.items()}


def record_error(session: Session, run_id: int, kind: str, message: str, url: str | None) -> None:
    """Stored at once, so a crawl killed later still shows what went wrong."""
    session.add(RunError(run_id=run_id, kind=kind, url=url, message=message, at=now_utc()))
    run = session.get(CrawlRun, run_id)
    run.error_count += 1
    session.commit()


def record_warning(session: Session, run_id: int, kind: str, message: str, url: str | None) -> None:
    """A warning is kept beside the run's errors (its kind says which it is) without failing it."""
    session.add(RunError(run_id=run_id, kind=kind, url=url, message=message, at=now_utc()))
    run = session.get(CrawlRun, run_id)
    run.warning_count = (run.warning_count or 0) + 1
    session.commit()


def finish_run(session: Session, run_id: int, status: str, counters: dict[str, int],
               warc_file: str | None = None, commit: bool = True) -> None:
    finish_runs(session, [{"run_id": run_id, "status": status, "warc_file": warc_file, **counters}], commit)


def finish_runs(session: Session, records: list[dict[str, Any]], commit: bool = True) -> None:
    """Close many runs' records in one statement (a crawl's sources finish in bursts). Each record:
    run_id, status, warc_file and counters, the same keys in every record."""
    if not records:
        return
    table = CrawlRun.__table__
    names = [name for name in records[0] if name != "run_id"]
    statement = update(table).where(table.c.id == bindparam("run_id")).values(
        finished_at=now_utc(), **{name: bindparam(f"new_{name}") for name in names})
    session.execute(statement, [{"run_id": record["run_id"], **{f"new_{name}": record[name] for name in names}}
                                for record in records])
    for record in records:  # run objects this session holds are read again, not left stale
        loaded = session.identity_map.get(session.identity_key(CrawlRun, record["run_id"]))
        if loaded is not None:
            session.expire(loaded)
    if commit:
        session.commit()


def last_finished_run(session: Session, source_id: str, status: str | None = None) -> CrawlRun | None:
    query = select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.finished_at.is_not(None))
    if status:
        query = query.where(CrawlRun.status == status)
    return session.scalars(query.order_by(CrawlRun.id.desc()).limit(1)).first()


def run_errors(session: Session, run_id: int, warnings: bool = False) -> list[RunError]:
    """A run's errors in order; with warnings=True its warnings (selector_missed …) instead."""
    kinds = RunError.kind.in_(WARNING_KINDS)
    return list(session.scalars(select(RunError).where(RunError.run_id == run_id, kinds if warnings else ~kinds)
                                .order_by(RunError.id)))


def load_validators(session: Session, source_id: str) -> dict[str, dict[str, str | None]]:
    return load_validators_of(session, [source_id]).get(source_id, {})


def load_validators_of(session: Session, source_ids: list[str]) -> dict[str, dict[str, dict[str, str | None]]]:
    """Per source: the ETag/Last-Modified remembered per URL."""
    found: dict[str, dict[str, dict[str, str | None]]] = {}
    for chunk in _chunks(source_ids):
        for row in session.scalars(select(HttpValidator).where(HttpValidator.source_id.in_(chunk))):
            found.setdefault(row.source_id, {})[row.url] = {"etag": row.etag, "last_modified": row.last_modified}
    return found


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    """IN lists of a bounded length (SQLite limits bound parameters)."""
    return [values[start:start + size] for start in range(0, len(values), size)]


def save_validators(session: Session, source_id: str, validators: dict[str, dict[str, str | None]],
                    commit: bool = True) -> None:
    save_validators_of(session, {source_id: validators}, commit)


def save_validators_of(session: Session, by_source: dict[str, dict[str, dict[str, str | None]]],
                       commit: bool = True) -> None:
    """Remember each URL's ETag/Last-Modified, for many sources: one upsert, not a read and a
    write per URL."""
    rows = [{"source_id": source_id, "url": url, "etag": values.get("etag"),
             "last_modified": values.get("last_modified")}
            for source_id, validators in by_source.items() for url, values in validators.items()]
    if rows:
        table = HttpValidator.__table__
        upsert = _dialect_insert(session)(table)
        session.connection().execute(upsert.on_conflict_do_update(
            index_elements=[table.c.source_id, table.c.url],
            set_={"etag": upsert.excluded.etag, "last_modified": upsert.excluded.last_modified}), rows)
    if commit:
        session.commit()


def _dialect_insert(session: Session):
    """INSERT … ON CONFLICT, which SQLite and PostgreSQL (the two supported stores) both have."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


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
    # The last run's warnings (a selector that missed, a malformed feed): {kind, message, url}.
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        found = {
            "id": self.id, "enabled": self.enabled, "authority": self.authority, "status": self.status,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "last_error": self.last_error, "warnings": self.warnings, "items": self.items,
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
        shown = run_errors(session, run.id, warnings=True) if run is not None and run.warning_count else []
        warnings = [{"kind": w.kind, "message": w.message, "url": w.url} for w in shown]
        summaries.append(SourceSummary(
            id=source.id, enabled=source.enabled, authority=source.authority,
            status=run.status if run else "never_run", last_run=run.finished_at if run else None,
            last_error=error, warnings=warnings, items=counts.get(source.id, 0),
            completeness=run_completeness(session, run.id) if run else None,
        ))
    return summaries


def close_abandoned_runs(session: Session, *source_ids: str,
                         message: str = "the crawl was killed before it finished") -> None:
    """Runs of these sources left 'running' by a killed crawl are closed as failed."""
    for chunk in _chunks(list(source_ids)):
        stale = session.scalars(select(CrawlRun).where(CrawlRun.source_id.in_(chunk),
                                                       CrawlRun.finished_at.is_(None)))
        for run in stale:
            run.status, run.finished_at = "failed", now_utc()
            run.error_count += 1
            session.add(RunError(run_id=run.id, kind="fetch_failed", url=None,
                                 message=message, at=now_utc()))
    session.commit()
