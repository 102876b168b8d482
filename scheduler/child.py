"""What a crawl process could not record itself: a time limit, a crash, a stop by the service.
Crawls run in processes (the local executor's batches, a Celery worker's) because Scrapy's
reactor cannot be restarted and a crawl that crashes or hangs must not take its parent with it;
the process records its own runs, and this module marks the ones it left open or failed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.storage.models import CrawlRun, RunError
from crawler.storage.runs import now_utc

log = logging.getLogger(__name__)
NORMAL_EXIT = (0, 1)  # `regwatch crawl`: 0 all ok, 1 a source failed (and recorded it)


@dataclass
class ChildResult:
    source_id: str
    returncode: int
    seconds: float
    timed_out: bool = False
    stopped: bool = False  # by the service shutting down
    stderr_tail: str = ""


def last_run_id(session: Session, source_id: str) -> int:
    return session.scalar(select(func.max(CrawlRun.id)).where(CrawlRun.source_id == source_id)) or 0


def failure_message(result: ChildResult, time_limit: timedelta) -> tuple[str, str] | None:
    """What went wrong that the child could not record itself, as (kind, message)."""
    if result.timed_out:
        return "time_limit", f"crawl exceeded its time limit of {_seconds(time_limit)} and was stopped"
    if result.stopped:
        return "stopped", "crawl stopped because the service was shutting down"
    if result.returncode not in NORMAL_EXIT:
        return "crashed", crash_message(result.returncode, result.stderr_tail)
    return None


def crash_message(returncode: int, stderr_tail: str) -> str:
    """The exit code and the last line the crawl process wrote (a traceback's error, a fatal signal)."""
    lines = [line for line in stderr_tail.splitlines() if line.strip()]
    last = f": {lines[-1].strip()}" if lines else ""
    return f"crawl process exited with code {returncode}{last}"


def record_child_failure(session: Session, source_id: str, after_run_id: int, kind: str, message: str) -> None:
    """Mark the child's unfinished or failed runs with the reason; a child that died before it
    opened a run still leaves one, so the failure shows in the source's history. A run the child
    closed as ok before it was stopped or crashed on exit keeps its status: its items are stored."""
    runs = list(session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id,
                                                       CrawlRun.id > after_run_id)))
    if not runs:
        runs = [CrawlRun(source_id=source_id, started_at=now_utc(), status="failed", replay=False)]
        session.add(runs[0])
        session.flush()
    affected = [run for run in runs if run.finished_at is None or run.status == "failed"]
    if not affected:
        log.warning("%s: %s, after its run had finished", source_id, message)
        return
    for run in affected:
        run.status = "failed"
        run.finished_at = run.finished_at or now_utc()
        run.error_count = (run.error_count or 0) + 1
        session.add(RunError(run_id=run.id, kind=kind, url=None, message=message, at=now_utc()))
    session.commit()
    log.error("%s: %s", source_id, message)


def _seconds(duration: timedelta) -> str:
    seconds = duration.total_seconds()
    return f"{seconds:g}s" if seconds < 120 else f"{seconds / 60:g} min"
