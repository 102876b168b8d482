"""`regwatch serve`: the APScheduler service. Jobs in the database, due runs handed to an executor
(scheduler.executors: warm local crawl processes, or Celery workers), health after every crawl,
alerts collected and dispatched on a short tick, clean shutdown on SIGTERM/SIGINT, configuration
reloaded on SIGHUP or `regwatch schedule reload`."""

from __future__ import annotations

import logging
import math
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler import health
from crawler.config import SourceConfig, load_config
from crawler.errors import ConfigError
from crawler.outcome import SourceOutcome
from crawler.schedule import period
from crawler.storage import db, runs, stories
from crawler.storage import service_state as state
from crawler.storage.models import CrawlRun
from crawler.storage.scheduler_models import MissedRun, SourceHealth
from scheduler import drafting_job, jobs, relevance_training, run_lock
from scheduler.alerts import queue
from scheduler.executors import make_executor

log = logging.getLogger(__name__)
# Between runs a source's health changes only by going quiet, which takes days: each tick checks
# the next share of the sources, so that each is checked once per QUIET_SWEEP however many there are.
QUIET_SWEEP = timedelta(hours=1)


class _Scheduler(BackgroundScheduler):
    def _process_jobs(self) -> float | None:
        # APScheduler 3's loop wakes once more after shutdown() and would take due jobs from the
        # store (advancing their next run) only to fail submitting them: a run lost in silence.
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


class Beside(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


class Service:
    def __init__(self, config_path: Path, beside: Beside | None = None):
        """beside: a server started first and stopped last with the service (`regwatch serve`'s web app)."""
        self.config_path = config_path
        self.config = load_config(config_path)
        self.engine = db.get_engine(self.config.database_url)
        db.upgrade_schema(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.executor = make_executor(self.config, config_path, self._finished)
        self.stopping = threading.Event()
        self._sweep_at = 0  # where the next tick's health checks begin in the list of enabled sources
        self.reload_signalled = threading.Event()
        self.alert_lock = threading.Lock()  # one dispatcher at a time: never two sends of a delivery
        self.scheduler = _Scheduler(
            jobstores={jobs.JOBSTORE: SQLAlchemyJobStore(engine=self.engine, tablename=jobs.JOB_TABLE)},
            executors={"default": ThreadPoolExecutor(self.config.service.max_parallel_crawls)},
            timezone="UTC",
        )
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED)
        self.web = beside

    # --- lifecycle -------------------------------------------------------------------------------
    def run(self) -> None:
        self._install_signals()
        self.start()
        tick = self.config.service.tick.total_seconds()
        while not self.stopping.wait(tick):
            try:
                self.tick(check_health=True)
            except SQLAlchemyError:  # the database restarting must not end the service: next tick retries
                log.exception("service tick failed; retrying")
        self.shutdown()

    def start(self) -> None:
        # First: the local executor's fork server must start before this process has threads.
        self.executor.start()
        with self.sessions() as session:
            runs.sync_sources(session, self.config.sources)
            # crawls the last service left running; not those a live worker holds a lease for
            live = run_lock.leased_now(session)
            runs.close_abandoned_runs(session, *[s.id for s in self.config.sources if s.id not in live])
        if self.web is not None:  # first: a busy port stops the service before any crawl starts
            self.web.start()
        jobs.set_crawl_handler(self.crawl)
        # Paused while the jobs are synced, so nothing fires from a half-updated store.
        self.scheduler.start(paused=True)
        self._sync()
        self.scheduler.resume()
        self.tick(check_health=True)
        log.info("regwatch service started: %d jobs", len(self.scheduler.get_jobs()))

    def shutdown(self) -> None:
        running = [run.source_id for run in self.executor.states() if run.state == "running"]
        log.info("stopping: %s", ", ".join(running) or "no crawl running")
        self.scheduler.pause()
        self.executor.stop()  # records the stopped crawls
        self.scheduler.shutdown(wait=True)
        jobs.set_crawl_handler(None)
        if self.web is not None:
            self.web.stop()
        log.info("regwatch service stopped")

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_signalled.set())

    # --- configuration ---------------------------------------------------------------------------
    def _sync(self) -> jobs.SyncReport:
        with self.sessions() as session:
            crawled = set(session.scalars(select(CrawlRun.source_id).distinct()))
        never_run = {s.id for s in self.config.sources} - crawled
        return jobs.sync_jobs(self.scheduler, self.config, never_run, self.config.service.misfire_grace,
                              state.now_utc())

    def reload(self) -> None:
        try:
            config = load_config(self.config_path)
        except ConfigError as error:
            log.error("config not reloaded, the running schedule stays: %s", error)
            return
        self.config = config
        with self.sessions() as session:
            runs.sync_sources(session, config.sources)
        update = getattr(self.executor, "update_config", None)
        if update is not None:  # the executor crawls the reloaded sources with their new settings
            update(config)
        log.info("config reloaded: %s", self._sync())

    def _reload_requested(self, session: Session) -> bool:
        requested = state.get_moment(session, state.RELOAD_REQUESTED)
        done = state.get_moment(session, state.RELOADED)
        return requested is not None and (done is None or requested > done)

    # --- the tick: reloads, health, alerts -------------------------------------------------------
    def tick(self, check_health: bool = False) -> None:
        now = state.now_utc()
        with self.sessions() as session:
            if self.reload_signalled.is_set() or self._reload_requested(session):
                self.reload_signalled.clear()
                self.reload()
                state.put_moment(session, state.RELOADED, now)
            state.put_moment(session, state.HEARTBEAT, now)
            session.commit()
        if check_health:
            for source in self._next_sweep_share():
                self.check_health(source)
        self.group_stories()
        self.deliver_alerts()
        drafting_job.draft_in_background(self.sessions, self.config)  # newly accepted items, in a worker thread
        relevance_training.train_when_due(self.sessions, self.config)  # daily, when enough new decisions

    def group_stories(self) -> None:
        """The items the crawls stored since the last tick join their stories (storage.stories)."""
        with self.sessions() as session:
            try:
                stories.group_new(session, stories.configured(self.config))
            except SQLAlchemyError:  # a database hiccup: the watermark stays, the next tick retries
                log.exception("grouping stories failed")
                session.rollback()

    def _next_sweep_share(self) -> list[SourceConfig]:
        enabled = [source for source in self.config.sources if source.enabled]
        if not enabled:
            return []
        ticks = max(1.0, QUIET_SWEEP / self.config.service.tick)
        share = min(len(enabled), math.ceil(len(enabled) / ticks))
        start = self._sweep_at % len(enabled)
        self._sweep_at = start + share
        return (enabled + enabled)[start:start + share]

    def deliver_alerts(self) -> None:
        with self.alert_lock, self.sessions() as session:
            try:
                queue.collect(session, self.config, state.now_utc())
                queue.dispatch(session, self.config, state.now_utc())
            except Exception:  # a database hiccup must not end the service; the next tick retries
                log.exception("alert delivery failed")
                session.rollback()

    def check_health(self, source: SourceConfig) -> health.Health:
        now = state.now_utc()
        with self.sessions() as session:
            assessed = health.assess(session, source, self.config.service, now, period(source, now))
            previous = health.record_state(session, assessed, now)
            if previous is not None and health.worth_telling(previous, assessed.state):
                queue.operator_event(session, self.config, source.id, assessed.state, assessed.reason, now)
        return assessed

    # --- jobs ------------------------------------------------------------------------------------
    def crawl(self, source_id: str) -> None:
        """The job: hand a due run to the executor unless the source is backing off after errors."""
        if self.stopping.is_set():
            return
        config = self.config
        source = next((s for s in config.sources if s.id == source_id and s.enabled), None)
        if source is None:
            log.warning("job for %s fired but the source is no longer enabled", source_id)
            return
        now = state.now_utc()
        with self.sessions() as session:
            failures, until = health.backoff(session, source_id, period(source, now), config.service.max_backoff)
        if until is not None and until > now:
            log.info("%s: backing off after %d failures until %s", source_id, failures,
                     until.isoformat(timespec="seconds"))
            return
        self.executor.submit(source_id)

    def _finished(self, outcomes: list[SourceOutcome]) -> None:
        """After a batch of runs: each source's health, then the alerts their new items raised."""
        sources = {source.id: source for source in self.config.sources}
        with self.sessions() as session:
            stored = {row.source_id: row for row in session.scalars(
                select(SourceHealth).where(SourceHealth.source_id.in_([o.source_id for o in outcomes])))}
        for outcome in outcomes:
            if outcome.status != "ok":
                log.info("%s: run %d %s: %s", outcome.source_id, outcome.run_id, outcome.status,
                         "; ".join(outcome.errors[:3]))
            row = stored.get(outcome.source_id)
            # A clean run of a source that was fine leaves it fine: no need to assess its history.
            still_fine = (outcome.status == "ok" and not outcome.warnings and row is not None
                          and row.state == "ok" and not row.reason)
            if outcome.source_id in sources and not still_fine:
                try:
                    self.check_health(sources[outcome.source_id])
                except SQLAlchemyError as error:  # a busy database: the next sweep checks the source again
                    log.warning("%s: health not updated after run %d: %s", outcome.source_id, outcome.run_id,
                                str(error).splitlines()[0])
        if not self.stopping.is_set():
            self.deliver_alerts()

    def _missed(self, event: JobExecutionEvent) -> None:
        """Outside the misfire grace time APScheduler skips a run: record it and tell the operator."""
        if not event.job_id.startswith(jobs.JOB_PREFIX):
            return
        source_id = event.job_id[len(jobs.JOB_PREFIX):]
        now = state.now_utc()
        scheduled = event.scheduled_run_time
        job = self.scheduler.get_job(event.job_id)
        upcoming = job.trigger.get_next_fire_time(None, now) if job is not None else None
        grace = self.config.service.misfire_grace.total_seconds()
        reason = (f"run scheduled for {scheduled.isoformat(timespec='seconds')} was missed (the service was "
                  f"not running within the {grace:g} s grace time); next run "
                  f"{upcoming.isoformat(timespec='seconds') if upcoming else 'at its next slot'}")
        log.warning("%s: %s", source_id, reason)
        with self.sessions() as session:
            session.add(MissedRun(source_id=source_id, scheduled_for=scheduled, recorded_at=now))
            session.commit()
            queue.operator_event(session, self.config, source_id, "missed", reason, now)


def serve(config_path: Path, beside: Beside | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apprise").setLevel(logging.WARNING)  # the queue logs each send and failure itself
    Service(config_path, beside).run()
