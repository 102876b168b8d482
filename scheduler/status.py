"""What the CLI and the web app show: each source's health, the scheduled jobs, reload requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from crawler.config import Config
from scheduler import health, jobs, state


def source_health(session: Session, config: Config, now: datetime | None = None) -> dict[str, health.Health]:
    """Health of every configured source, by id (for `regwatch sources` and the web sources page)."""
    now = now or state.now_utc()
    return {source.id: health.assess(session, source, config.service, now, jobs.period(source, now))
            for source in config.sources}


@dataclass
class JobRow:
    source_id: str
    schedule: str
    next_run: datetime | None
    stored: bool  # False: configured but not in the job store yet (the service has not synced it)


def scheduled_jobs(session: Session, config: Config) -> list[JobRow]:
    """The job store's jobs next to the configured schedules, without starting a scheduler."""
    engine = session.get_bind()
    stored = {}
    if inspect(engine).has_table(jobs.JOB_TABLE):
        for job in SQLAlchemyJobStore(engine=engine, tablename=jobs.JOB_TABLE).get_all_jobs():
            stored[job.id] = job
    rows, now = [], state.now_utc()
    for source in config.sources:
        if not source.enabled:
            continue
        job = stored.pop(jobs.job_id(source.id), None)
        rows.append(JobRow(source.id, jobs.describe(source, now).split(" ", 2)[2], job.next_run_time if job else None,
                           job is not None))
    for job in stored.values():  # a source removed from config.yaml that the service has not dropped yet
        rows.append(JobRow(job.id.removeprefix(jobs.JOB_PREFIX), job.name + " (not in config)",
                           job.next_run_time, True))
    return sorted(rows, key=lambda r: (r.next_run is None, r.next_run.timestamp() if r.next_run else 0, r.source_id))


def request_reload(session: Session) -> datetime:
    moment = state.now_utc()
    state.put_moment(session, state.RELOAD_REQUESTED, moment)
    session.commit()
    return moment


def reloaded_since(session: Session, moment: datetime) -> bool:
    done = state.get_moment(session, state.RELOADED)
    return done is not None and done >= moment


def heartbeat(session: Session) -> datetime | None:
    return state.get_moment(session, state.HEARTBEAT)
