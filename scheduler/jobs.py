"""One APScheduler job per enabled source, kept in step with config.yaml.

Jobs live in the database (APScheduler's SQLAlchemy job store), so their next run times survive
a restart; a job is replaced only when its source's schedule changed, so a restart neither runs a
source again nor pushes its next run back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import Config, SourceConfig
from crawler.schedule import cron_trigger

log = logging.getLogger(__name__)
JOB_PREFIX = "crawl:"
JOBSTORE = "default"
JOB_TABLE = "apscheduler_jobs"

# The running service; APScheduler stores jobs by function reference, so the job function is a
# module-level name that hands over to it.
_crawl_handler: Callable[[str], None] | None = None


def set_crawl_handler(handler: Callable[[str], None] | None) -> None:
    global _crawl_handler
    _crawl_handler = handler


def run_scheduled_crawl(source_id: str) -> None:
    if _crawl_handler is None:
        raise RuntimeError(f"scheduled crawl of {source_id} fired with no service running")
    _crawl_handler(source_id)


def job_id(source_id: str) -> str:
    return JOB_PREFIX + source_id


MAX_JITTER_SHARE = 0.05  # jitter never delays a run by more than 5% of the time between runs


def jitter_s(source: SourceConfig, now: datetime) -> int:
    """The configured jitter, capped so that a one-minute schedule still runs about every minute."""
    return min(source.schedule.jitter_s, int(shortest_gap(source, now).total_seconds() * MAX_JITTER_SHARE))


def shortest_gap(source: SourceConfig, now: datetime, firings: int = 10) -> timedelta:
    """The shortest time between runs: for cron, over its next few firings (a stable answer, so
    that the job's signature does not change with the day of the week)."""
    if source.schedule.interval is not None:
        return source.schedule.interval
    trigger = cron_trigger(source.schedule.cron, source.timezone)
    times = [trigger.get_next_fire_time(None, now)]
    while len(times) <= firings:
        times.append(trigger.get_next_fire_time(times[-1], times[-1] + timedelta(seconds=1)))
    return min(b - a for a, b in zip(times, times[1:], strict=False))


def trigger_for(source: SourceConfig, now: datetime) -> BaseTrigger:
    """Intervals count in UTC; a cron line is read in the source's own time zone."""
    schedule = source.schedule
    jitter = jitter_s(source, now) or None
    if schedule.interval is not None:
        return IntervalTrigger(seconds=schedule.interval.total_seconds(), jitter=jitter, timezone=UTC)
    return cron_trigger(schedule.cron, source.timezone, jitter)


def describe(source: SourceConfig, now: datetime) -> str:
    """The job's name; it doubles as the signature that tells whether the schedule changed."""
    schedule = source.schedule
    when = (f"every {_duration(schedule.interval)}" if schedule.interval is not None
            else f"cron '{schedule.cron}' {source.timezone}")
    return f"crawl {source.id} {when} jitter {jitter_s(source, now)}s"


def _duration(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"{name}: {', '.join(ids)}" for name, ids in
                 (("added", self.added), ("changed", self.changed), ("removed", self.removed)) if ids]
        return "; ".join(parts) or f"no changes ({len(self.kept)} jobs)"


def sync_jobs(scheduler: BaseScheduler, config: Config, never_run: set[str], misfire_grace: timedelta,
              now: datetime) -> SyncReport:
    """Make the job store hold exactly one job per enabled source, with its configured schedule.
    A source that has never been crawled runs at once; others keep or get their next slot."""
    report = SyncReport()
    wanted = {job_id(s.id): s for s in config.sources if s.enabled}
    for job in scheduler.get_jobs(jobstore=JOBSTORE):
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            job.remove()
            report.removed.append(job.id[len(JOB_PREFIX):])
    for jid, source in wanted.items():
        existing = scheduler.get_job(jid, jobstore=JOBSTORE)
        name, trigger = describe(source, now), trigger_for(source, now)
        grace = int(misfire_grace.total_seconds())
        # The trigger's own text too: a job stored by an older reading of the same cron line is renewed.
        if (existing is not None and existing.name == name and str(existing.trigger) == str(trigger)
                and existing.misfire_grace_time == grace):
            report.kept.append(source.id)
            continue
        (report.changed if existing is not None else report.added).append(source.id)
        options = {"next_run_time": now} if source.id in never_run else {}
        scheduler.add_job(run_scheduled_crawl, trigger, args=[source.id], id=jid, name=name,
                          jobstore=JOBSTORE, replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=grace, **options)
    if report.added or report.changed or report.removed:
        log.info("schedule: %s", report)
    return report
