"""Source health from the run history: last success, consecutive failures, items per run, time
since the last new item; flags a source `broken` or `quiet`, and says how long errors back off.

A source is never disabled here: a broken source keeps being tried, less often, until it recovers
or an operator turns it off in config.yaml."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.config import Config, ServiceConfig, SourceConfig
from crawler.errors import SelectorMissed
from crawler.schedule import period
from crawler.storage import runs as run_records
from crawler.storage.models import CrawlRun, Document, RunError
from crawler.storage.scheduler_models import MissedRun, SourceHealth

FAILED = ("failed", "blocked", "not_configured")
REDESIGN_KINDS = ("empty", "unparseable")  # what a site redesign usually looks like
HISTORY_RUNS = 20
CADENCE_DATES = 60  # distinct publication days the cadence is learned from
MIN_GAPS = 4  # fewer than this and the cadence is not known yet
QUIET_FACTOR = 2  # quiet after twice the usual gap


@dataclass
class Health:
    source_id: str
    state: str  # ok | degraded | broken | quiet | never_run
    reason: str
    last_success: datetime | None = None
    consecutive_failures: int = 0
    items_per_run: float | None = None
    last_new_item: datetime | None = None
    last_published: date | None = None
    expected_cadence_days: float | None = None
    cadence_from: str | None = None  # configured | learned
    backoff_until: datetime | None = None
    last_missed: datetime | None = None
    # The last run's items the generic reader had to read, and what missed (selector_missed warnings).
    items_generic: int = 0
    missed: list[dict[str, Any]] | None = None

    def as_json(self) -> dict[str, Any]:
        return {key: value.isoformat() if isinstance(value, date | datetime) else value
                for key, value in asdict(self).items() if key != "source_id"}


def learned_cadence(days: list[date]) -> timedelta | None:
    """The usual gap between publication days: the 90th percentile, so a weekend or a holiday
    does not make a daily source look quiet, and an irregular source gets a wide margin."""
    ordered = sorted(set(days))
    gaps = sorted((b - a).days for a, b in zip(ordered, ordered[1:], strict=False))
    if len(gaps) < MIN_GAPS:
        return None
    return timedelta(days=max(1, gaps[int(0.9 * (len(gaps) - 1))]))


def backoff_delay(failures: int, period: timedelta, ceiling: timedelta) -> timedelta:
    """After n failures in a row, skip runs for (2^(n-1) - 1) periods, at most `ceiling`:
    1 failure retries on schedule, 2 skip one slot, 3 skip three ..."""
    if failures < 2:
        return timedelta(0)
    return min(ceiling, period * (2 ** min(failures - 1, 20) - 1))


def _recent_runs(session: Session, source_id: str) -> list[CrawlRun]:
    return list(session.scalars(
        select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.finished_at.is_not(None),
                               CrawlRun.replay.is_(False))
        .order_by(CrawlRun.id.desc()).limit(HISTORY_RUNS)))


def backoff(session: Session, source_id: str, period: timedelta, ceiling: timedelta) -> tuple[int, datetime | None]:
    """The failed runs in a row and until when the source backs off after them: what `assess`
    says, from the last runs' status columns alone (asked before every scheduled run)."""
    rows = session.execute(
        select(CrawlRun.status, CrawlRun.finished_at)
        .where(CrawlRun.source_id == source_id, CrawlRun.finished_at.is_not(None), CrawlRun.replay.is_(False))
        .order_by(CrawlRun.id.desc()).limit(HISTORY_RUNS)).all()
    failures = next((n for n, (status, _) in enumerate(rows) if status not in FAILED), len(rows))
    delay = backoff_delay(failures, period, ceiling)
    return failures, rows[0].finished_at + delay if delay else None


def _errors(session: Session, run_id: int) -> list[RunError]:
    return run_records.run_errors(session, run_id)


def _misses(session: Session, run_id: int) -> list[RunError]:
    return [w for w in run_records.run_errors(session, run_id, warnings=True) if w.kind == SelectorMissed.kind]


def _publication_days(session: Session, source_id: str) -> list[date]:
    return list(session.scalars(
        select(Document.published).where(Document.source_id == source_id, Document.published.is_not(None))
        .group_by(Document.published).order_by(Document.published.desc()).limit(CADENCE_DATES)))


def assess(session: Session, source: SourceConfig, service: ServiceConfig, now: datetime,
           period: timedelta) -> Health:
    runs = _recent_runs(session, source.id)
    health = Health(source.id, "ok", "")
    health.last_new_item = session.scalar(select(func.max(Document.first_seen_at))
                                          .where(Document.source_id == source.id))
    health.last_missed = session.scalar(select(func.max(MissedRun.scheduled_for))
                                        .where(MissedRun.source_id == source.id))
    days = _publication_days(session, source.id)
    health.last_published = days[0] if days else None
    cadence = source.expected_cadence or learned_cadence(days)
    if cadence is not None:
        health.expected_cadence_days = round(cadence.total_seconds() / 86400, 2)
        health.cadence_from = "configured" if source.expected_cadence else "learned"
    if not runs:
        health.state, health.reason = "never_run", "no finished run yet"
        return health
    ok_runs = [run for run in runs if run.status == "ok"]
    health.last_success = ok_runs[0].finished_at if ok_runs else None
    health.items_per_run = round(sum(r.items_parsed for r in ok_runs) / len(ok_runs), 1) if ok_runs else None
    for run in runs:
        if run.status not in FAILED:
            break
        health.consecutive_failures += 1
    if health.consecutive_failures:
        delay = backoff_delay(health.consecutive_failures, period, service.max_backoff)
        if delay:
            health.backoff_until = runs[0].finished_at + delay
    health.state, health.reason = _verdict(session, source, service, runs, health, cadence, now)
    return health


def _verdict(session: Session, source: SourceConfig, service: ServiceConfig, runs: list[CrawlRun],
             health: Health, cadence: timedelta | None, now: datetime) -> tuple[str, str]:
    latest = runs[0]
    errors = _errors(session, latest.id) if latest.status in FAILED else []
    first = _describe(errors[0]) if errors else ""
    if health.consecutive_failures >= service.broken_after:
        return "broken", f"{health.consecutive_failures} failed runs in a row; last error {first}"
    redesign = [e for e in errors if e.kind in REDESIGN_KINDS]
    if redesign and (health.items_per_run or 0) > 0:
        return "broken", (f"usually yields {health.items_per_run:g} items per run, now "
                          f"{redesign[0].kind}: {redesign[0].message} (site redesign?)")
    misses = _misses(session, latest.id) if latest.status == "ok" else []
    if misses:
        health.items_generic = latest.items_generic or 0
        health.missed = [{"message": m.message, "url": m.url} for m in misses]
        return "degraded", (f"{health.items_generic} item(s) read by the generic reader: {misses[0].message}"
                            + (f" ({misses[0].url})" if misses[0].url else "")
                            + (f"; {len(misses) - 1} more selector(s) missed" if len(misses) > 1 else ""))
    if cadence is not None and health.last_published is not None:
        today = now.astimezone(ZoneInfo(source.timezone)).date()
        silent = today - health.last_published
        if silent > QUIET_FACTOR * cadence:
            return "quiet", (f"nothing new since {health.last_published} ({silent.days} days); "
                             f"it usually publishes every {cadence.days or 1} day(s)")
    if health.consecutive_failures:
        return "ok", f"{health.consecutive_failures} failed run(s) in a row; last error {first}"
    return "ok", ""


def _describe(error: RunError) -> str:
    return f"{error.kind}: {error.message}" + (f" ({error.url})" if error.url else "")


def record_state(session: Session, health: Health, now: datetime) -> str | None:
    """Store the state; return the previous state when it changed (None on no change)."""
    row = session.get(SourceHealth, health.source_id)
    if row is not None and row.state == health.state:
        if row.reason != health.reason:
            row.reason = health.reason
            session.commit()
        return None
    previous = row.state if row is not None else "never_run"
    row = row or SourceHealth(source_id=health.source_id)
    row.state, row.reason, row.changed_at = health.state, health.reason, now
    session.add(row)
    session.commit()
    return previous


def worth_telling(previous: str, current: str) -> bool:
    """Operators hear when a source breaks, goes quiet or degrades (a selector that missed: the
    items still came, someone should mend the source), and when it recovers."""
    troubled = ("broken", "quiet", "degraded")
    return current in troubled or previous in troubled and current == "ok"


def source_health(session: Session, config: Config, now: datetime | None = None) -> dict[str, Health]:
    """Health of every configured source, by id (for `regwatch sources` and the web sources page)."""
    now = now or datetime.now(UTC)
    return {source.id: assess(session, source, config.service, now, period(source, now))
            for source in config.sources}
