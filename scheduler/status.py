"""What the CLI and the web app show: each source's health, the scheduled jobs, reload requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from crawler.config import Config
from crawler.storage import service_state as state
from crawler.storage.scheduler_models import AlertDelivery, AlertFailure
from crawler.storage.service_models import ActiveRun
from scheduler import jobs, run_states
from scheduler.alerts import channels, queue


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


def active_runs(session: Session) -> list[ActiveRun]:
    """The runs queued or running now, whichever executor and machine has them."""
    return run_states.current(session)


def schedule_json(rows: list[JobRow], heartbeat: datetime | None, active: list[ActiveRun]) -> dict[str, Any]:
    """`regwatch schedule --json`: the jobs, the service's heartbeat, the queued and running runs."""
    def moment(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {"heartbeat": moment(heartbeat),
            "jobs": [{"source_id": row.source_id, "schedule": row.schedule, "next_run": moment(row.next_run),
                      "stored": row.stored} for row in rows],
            "runs": [{"source_id": run.source_id, "state": run.state, "since": moment(run.since),
                      "worker": run.worker} for run in active]}


def request_reload(session: Session) -> datetime:
    moment = state.now_utc()
    state.put_moment(session, state.RELOAD_REQUESTED, moment)
    session.commit()
    return moment


def reloaded_since(session: Session, moment: datetime) -> bool:
    done = state.get_moment(session, state.RELOADED)
    return done is not None and done >= moment


@dataclass
class RuleRow:
    rule_id: str
    how: str  # "immediate, en" or "digest at 08:30 Asia/Shanghai, zh"
    channels: list[str]  # named without their secrets
    counts: dict[str, int]  # deliveries by status: pending | sent | failed
    last_sent: datetime | None
    last_failure: AlertFailure | None


def alert_rules(session: Session, config: Config) -> list[RuleRow]:
    """Each rule (and the operator channel) with its deliveries so far and its latest failure."""
    wanted = [(rule.id, (f"digest at {rule.digest_at:%H:%M} {rule.timezone}" if rule.mode == "digest"
                         else "immediate") + f", {rule.language}", rule.notify) for rule in config.alerts]
    if config.service.operator_notify:
        wanted.append((queue.OPERATOR, f"health changes, {config.service.operator_language}",
                       config.service.operator_notify))
    rows = []
    for rule_id, how, urls in wanted:
        of_rule = AlertDelivery.rule_id == rule_id
        counts = dict(session.execute(select(AlertDelivery.status, func.count()).where(of_rule)
                                      .group_by(AlertDelivery.status)).all())
        last_sent = session.scalar(select(func.max(AlertDelivery.sent_at)).where(of_rule))
        last_failure = session.scalars(select(AlertFailure).where(AlertFailure.rule_id == rule_id)
                                       .order_by(AlertFailure.id.desc()).limit(1)).first()
        rows.append(RuleRow(rule_id, how, [channels.channel_label(url) for url in urls], counts, last_sent,
                            last_failure))
    return rows
