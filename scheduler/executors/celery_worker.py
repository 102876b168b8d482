"""A Celery worker's side of the Celery executor: the task that crawls a batch of due sources.

The worker's main process imports the crawl code once (scheduler.executors.warm); Celery's
prefork processes are forked from it, and each task forks one more process for its batch's
reactor (Scrapy's reactor cannot restart in a process), so a batch starts in milliseconds and a
crash or hang in it fails only its own runs. The task:
1. takes each source's run lease (scheduler.run_lock); a source leased by a live crawl elsewhere
   is skipped, and an expired lease (its worker died mid-crawl) is taken over, the dead crawl's
   run recorded as failed;
2. crawls the batch within `service.crawl_time_limit`, recording what the crawl process could
   not (a time limit, a crash), as `regwatch serve` does with the local executor;
3. releases the leases, assesses each source's health and collects the alerts its new items
   raise (the service's tick sends them), then marks the runs done."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection, wait
from pathlib import Path

from celery import Celery, Task
from celery.platforms import set_pdeathsig
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawler import health
from crawler.config import Config, load_config
from crawler.runner import SourceOutcome
from crawler.schedule import period
from crawler.storage import db
from crawler.storage.models import CrawlRun, RunError
from crawler.storage.runs import now_utc
from scheduler import run_lock, run_states
from scheduler.alerts import queue
from scheduler.child import ChildResult, crash_message, failure_message, last_run_id, record_child_failure
from scheduler.executors import celery as executor
from scheduler.executors.warm import EXCEPTION_EXIT, crawl_batch

log = logging.getLogger(__name__)


@dataclass
class WorkerSetup:
    config_path: Path
    config: Config
    mtime: float
    name: str  # the worker's node name, e.g. crawl1@host


_setup: WorkerSetup | None = None


def register(app: Celery, config_path: Path, config: Config, name: str) -> None:
    """Make `app` a worker of this config: called in the worker's main process, before it forks."""
    global _setup
    _setup = WorkerSetup(config_path, config, config_path.stat().st_mtime, name)
    app.task(name=executor.TASK, bind=True)(crawl_sources)


def _config() -> Config:
    """The worker's config, read again when the file changed (sources added on the service's machine)."""
    assert _setup is not None, "register() runs before any task"
    mtime = _setup.config_path.stat().st_mtime
    if mtime != _setup.mtime:
        try:
            _setup.config = load_config(_setup.config_path)
            log.info("config %s changed: re-read", _setup.config_path)
        except Exception as error:  # a half-saved file: keep the last good config, say why
            log.error("config %s changed but cannot be read, the last good one stays: %s", _setup.config_path, error)
        _setup.mtime = mtime
    return _setup.config


def crawl_sources(task: Task, source_ids: list[str], alone: bool = False) -> dict[str, str]:
    """The task: crawl these due sources as one batch; returns each source's run status."""
    config = _config()
    holder = run_lock.holder_name(_setup.name if _setup else None)
    sessions = sessionmaker(db.get_engine(config.database_url), expire_on_commit=False)
    with sessions() as session:
        taken = _take_leases(session, config, source_ids, holder)
    if not taken:
        return {}
    try:
        outcomes, failure = _crawl(config, taken, sessions)
    except Exception as error:  # e.g. the database went away mid-batch: the runs still get a record
        log.exception("batch %s failed in the worker", ", ".join(taken))
        failure = ("crashed", f"crawl batch failed in the worker: {type(error).__name__}: {error}")
        outcomes = _record_failure(sessions, taken, failure)
    finally:
        with sessions() as session:
            for source_id in taken:
                run_lock.release(session, source_id, holder)
    with sessions() as session:
        _after_runs(session, config, outcomes)
        for source_id in taken:
            run_states.mark_done(session, source_id)
    if failure is not None and len(taken) > 1 and not alone and failure[0] in ("crashed", "time_limit"):
        # As the local executor does: one broken source must not keep failing its neighbours.
        log.warning("batch %s failed (%s): sending its %d runs again one by one", ", ".join(taken), failure[0],
                    len(taken))
        for source_id in taken:
            task.app.send_task(executor.TASK, args=[[source_id]], kwargs={"alone": True}, queue=executor.QUEUE)
    return {outcome.source_id: outcome.status for outcome in outcomes}


def _take_leases(session: Session, config: Config, source_ids: list[str], holder: str) -> list[str]:
    known = {source.id for source in config.sources}
    duration = run_lock.lease_time(config.service)
    taken = []
    for source_id in source_ids:
        if source_id not in known:
            record_child_failure(session, source_id, last_run_id(session, source_id), "config",
                                 f"source {source_id} is not in the config this worker reads ({config.path}): "
                                 "give every worker the service's config.yaml")
            run_states.mark_done(session, source_id)
            continue
        lease = run_lock.take(session, source_id, holder, duration)
        if not lease.taken:
            log.info("%s: already being crawled by %s (lease until %s); this run is skipped", source_id,
                     lease.holder, lease.expires_at.isoformat(timespec="seconds") if lease.expires_at else "?")
            continue
        if lease.holder is not None:
            _record_lost_run(session, source_id, lease, holder)
        run_states.mark_running(session, source_id, holder)
        taken.append(source_id)
    return taken


def _record_lost_run(session: Session, source_id: str, lease: run_lock.Taken, holder: str) -> None:
    """The lease of a worker that died mid-crawl: its unfinished run is recorded as failed."""
    message = (f"the crawl on {lease.holder} stopped before the end: its worker was lost (lease expired "
               f"{lease.expires_at.isoformat(timespec='seconds') if lease.expires_at else ''}); run again on {holder}")
    lost = list(session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id,
                                                       CrawlRun.finished_at.is_(None))))
    for run in lost:
        run.status, run.finished_at = "failed", now_utc()
        run.error_count = (run.error_count or 0) + 1
        session.add(RunError(run_id=run.id, kind="worker_lost", url=None, message=message, at=now_utc()))
    session.commit()
    log.warning("%s: %s", source_id, message)


def _record_failure(sessions: sessionmaker, source_ids: list[str], failure: tuple[str, str]) -> list[SourceOutcome]:
    with sessions() as session:
        for source_id in source_ids:
            runs = session.scalars(select(CrawlRun.id).where(CrawlRun.source_id == source_id,
                                                             CrawlRun.finished_at.is_not(None)))
            record_child_failure(session, source_id, max(runs, default=0), *failure)
        return [executor.last_outcome(session, source_id) for source_id in source_ids]


def _crawl(config: Config, source_ids: list[str], sessions: sessionmaker) -> tuple[list[SourceOutcome],
                                                                                    tuple[str, str] | None]:
    """Crawl the batch in a forked process; record what it could not record itself."""
    with sessions() as session:
        before = {source_id: last_run_id(session, source_id) for source_id in source_ids}
    wanted = set(source_ids)
    batch_config = config.model_copy(update={"sources": [s for s in config.sources if s.id in wanted]})
    limit = config.service.crawl_time_limit
    db.get_engine(config.database_url).dispose()  # the crawl process opens its own connections
    receiver, sender = multiprocessing.Pipe(duplex=False)
    started = time.monotonic()
    outcomes: list[SourceOutcome] = []
    with tempfile.NamedTemporaryFile(prefix="regwatch-batch-", suffix=".log") as stderr:
        pid = _fork_batch(sender, batch_config, source_ids, dict(config.service.crawl_settings), stderr.name)
        sender.close()
        exited = os.pidfd_open(pid)  # readable once the process has ended
        try:
            timed_out = not _receive(receiver, exited, limit, outcomes)
            if timed_out:
                _stop(pid, exited, config.service.stop_grace.total_seconds())
            exitcode = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        finally:
            os.close(exited)
            receiver.close()
        tail = Path(stderr.name).read_bytes()[-4000:].decode("utf-8", "replace")
    result = ChildResult(",".join(source_ids), exitcode, time.monotonic() - started, timed_out, stderr_tail=tail)
    failure = failure_message(result, limit)
    if failure is None and not outcomes:  # it exited without sending its outcomes
        failure = ("crashed", crash_message(exitcode, tail))
    log.info("%d source(s) crawled in %.1fs (exit %s): %s", len(source_ids), result.seconds, exitcode,
             ", ".join(source_ids))
    if failure is not None:
        with sessions() as session:
            for source_id in source_ids:
                record_child_failure(session, source_id, before[source_id], *failure)
            outcomes = [executor.last_outcome(session, source_id) for source_id in source_ids]
    return outcomes, failure


def _fork_batch(*args: object) -> int:
    """Fork the batch's process (a bare fork: Celery's pool processes are daemonic, which
    multiprocessing will not let have children). It dies with this process, so a killed worker
    leaves no crawl running unsupervised past its time limit, and never returns into Celery."""
    pid = os.fork()
    if pid == 0:
        code = EXCEPTION_EXIT
        try:
            set_pdeathsig("SIGKILL")
            crawl_batch(*args)
            code = 0
        finally:
            os._exit(code)
    return pid


def _receive(receiver: Connection, exited: int, limit: timedelta, outcomes: list[SourceOutcome]) -> bool:
    """Wait for the outcomes and the process's end; False when the time limit passed first."""
    deadline = time.monotonic() + limit.total_seconds()
    ready: list[Connection | int] = [receiver, exited]
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        for handle in wait(ready, timeout=left):
            if receiver in ready and (handle is receiver or receiver.poll(0)):
                try:
                    outcomes.extend(receiver.recv())
                except (EOFError, OSError):
                    pass
                ready.remove(receiver)
            if handle == exited:
                return True  # it ended; what it sent was read above, or is lost with it


def _stop(pid: int, exited: int, grace_s: float) -> None:
    """SIGTERM lets Scrapy close the runs; SIGKILL if it has not within the grace time."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)  # the batch runs in its own process group, with what it started
        except ProcessLookupError:
            return
        except PermissionError:  # not its own group yet
            os.kill(pid, sig)
        if wait([exited], timeout=wait_s):
            return


def _after_runs(session: Session, config: Config, outcomes: list[SourceOutcome]) -> None:
    """Each source's health (operator events on a change), then the alerts of the new items."""
    sources = {source.id: source for source in config.sources}
    now = now_utc()
    for outcome in outcomes:
        source = sources.get(outcome.source_id)
        if source is None:
            continue
        try:
            assessed = health.assess(session, source, config.service, now, period(source, now))
            previous = health.record_state(session, assessed, now)
            if previous is not None and health.worth_telling(previous, assessed.state):
                queue.operator_event(session, config, source.id, assessed.state, assessed.reason, now)
        except Exception:  # the run is recorded; health is assessed again by the service's tick
            log.exception("%s: assessing health after the run failed", outcome.source_id)
            session.rollback()
    try:
        queue.collect(session, config, now)
    except Exception:  # another collector's turn, or a database hiccup: the service's tick collects too
        log.exception("collecting alerts after the runs failed")
        session.rollback()
