"""The embedded executor: due runs crawled in warm processes on this machine.

Runs that fall due together (each within QUIET_S of the last, for at most COLLECT_S) form one
batch, crawled in one process through the shared crawlers (crawler.runner.Crawl), each source
with its own run record, errors, WARC file and validators. A batch process is forked from a fork
server that imported everything once (scheduler.executors.warm), so no run pays an interpreter
start-up, and no batch inherits the service's threads (APScheduler's, the web app's) or the locks
they hold.

Isolation: a batch that crashes or outlasts `service.crawl_time_limit` fails only its own runs,
recorded with the reason; the runs of a batch of several sources are then retried once, each
alone. A source whose run also failed alone keeps running alone until it succeeds, so one broken
source cannot keep failing its neighbours. At most `service.max_parallel_crawls` batches run at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import socket
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import wait
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from crawler.config import Config
from crawler.errors import ConfigError
from crawler.outcome import COUNTERS, SourceOutcome
from crawler.storage import db, runs
from crawler.storage.models import CrawlRun
from crawler.storage.runs import now_utc
from crawler.storage.service_models import ActiveRun
from scheduler import run_lock
from scheduler.child import ChildResult, crash_message, failure_message, record_child_failure
from scheduler.executors import OnFinished, RunState
from scheduler.run_lock import insert_statement

log = logging.getLogger(__name__)
# A batch is formed once no run has fallen due for QUIET_S, or COLLECT_S after its first run fell
# due: a lone run waits half a second, and a stream of runs spread by jitter shares a few batches.
QUIET_S = 0.5
COLLECT_S = 5.0
PUBLISH_S = 5.0  # the queued and running runs are written for `regwatch schedule` at most this often
MAX_BATCH = 250  # sources per batch: a batch's time limit and a crash's reach stay bounded
WARM_MODULE = "scheduler.executors.warm"


@dataclass
class _Queued:
    source_id: str
    since: datetime
    alone: bool = False  # a retry, or a source that failed alone before: never batched with others
    retry: bool = False


@dataclass
class _Batch:
    number: int
    runs: list[_Queued]
    since: datetime
    process: multiprocessing.process.BaseProcess | None = None
    outcomes: list[SourceOutcome] = field(default_factory=list)

    @property
    def source_ids(self) -> list[str]:
        return [run.source_id for run in self.runs]


class LocalExecutor:
    def __init__(self, config: Config, config_path: Path, on_finished: OnFinished,
                 collect_s: float = COLLECT_S, quiet_s: float = QUIET_S, max_batch: int = MAX_BATCH) -> None:
        self.config, self.config_path, self.on_finished = config, config_path, on_finished
        self.collect_s, self.quiet_s, self.max_batch = collect_s, quiet_s, max_batch
        self._last_due = now_utc()
        self.sessions = sessionmaker(db.get_engine(config.database_url), expire_on_commit=False)
        self._queue: deque[_Queued] = deque()
        self._running: dict[int, _Batch] = {}
        self._alone: set[str] = set()  # sources whose run failed alone: they run alone until one succeeds
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._numbers = 0
        self._context = multiprocessing.get_context("forkserver")
        self._dispatcher: threading.Thread | None = None
        self._publisher: threading.Thread | None = None
        self._changes = threading.Event()  # queued or running runs changed since they were last written
        self.warm = threading.Event()  # the fork server has imported the crawl code: batches start at once
        self.name = f"local {socket.gethostname()} pid {os.getpid()}"  # this service, in active_runs
        self.batches_started = 0  # for the operator's log and the benchmark

    # --- the interface -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the fork server; it imports the crawl code (about a second of CPU) while the service
        starts, and the first batch waits for it. A fork server that cannot import it is reported."""
        self._context.set_forkserver_preload([WARM_MODULE])
        try:
            multiprocessing.forkserver.ensure_running()
        except OSError as error:
            raise ConfigError(f"service.executor local: cannot start the crawl fork server: {error}") from error
        threading.Thread(target=self._check_warm, name="regwatch-warm-check", daemon=True).start()
        self._dispatcher = threading.Thread(target=self._dispatch, name="regwatch-dispatch", daemon=True)
        self._dispatcher.start()
        self._publisher = threading.Thread(target=self._publish_loop, name="regwatch-run-states", daemon=True)
        self._publisher.start()

    def _check_warm(self) -> None:
        probe = self._context.Process(target=_probe, name="regwatch-warm-check")
        probe.start()
        probe.join()
        if probe.exitcode == 0:
            self.warm.set()
            log.info("crawl fork server ready")
        else:
            log.error("the crawl fork server cannot import %s (exit code %s): every crawl will fail; "
                      "see the error above", WARM_MODULE, probe.exitcode)

    def update_config(self, config: Config) -> None:
        """A reloaded config: batches formed from now on use it."""
        self.config = config

    def submit(self, source_id: str) -> None:
        with self._changed:
            if self._stopping.is_set():
                return
            if any(q.source_id == source_id for q in self._queue) or any(
                    source_id in batch.source_ids for batch in self._running.values()):
                log.info("%s: due again while its last run is still queued or running; skipped", source_id)
                return
            self._queue.append(_Queued(source_id, now_utc(), alone=source_id in self._alone))
            self._last_due = self._queue[-1].since
            self._changed.notify_all()
        self._changes.set()

    def states(self) -> list[RunState]:
        with self._changed:
            running = [RunState(run.source_id, "running", batch.since)
                       for batch in self._running.values() for run in batch.runs]
            return running + [RunState(q.source_id, "queued", q.since) for q in self._queue]

    def stop(self) -> None:
        """Drop the queued runs, ask each running batch to stop (Scrapy closes its runs), SIGKILL a
        batch that has not within `service.stop_grace`; the batch threads record the stopped runs."""
        with self._changed:
            self._stopping.set()
            self._queue.clear()
            batches = list(self._running.values())
            self._changed.notify_all()
        grace = self.config.service.stop_grace.total_seconds()
        stoppers = [threading.Thread(target=_stop_process, args=(b.process, grace)) for b in batches if b.process]
        for thread in stoppers:
            thread.start()
        for thread in stoppers + self._threads:
            thread.join()
        if self._dispatcher is not None:
            self._dispatcher.join()
        if self._publisher is not None:
            self._changes.set()
            self._publisher.join()

    # --- what `regwatch schedule` shows ------------------------------------------------------------
    def _publish_loop(self) -> None:
        """Write the queued and running runs to active_runs when they change, at most once per
        PUBLISH_S (one transaction, however many runs changed); the rows go when the service stops."""
        while True:
            self._changes.wait()
            stopping = self._stopping.is_set()
            self._changes.clear()
            try:
                self._publish([] if stopping else self.states())
            except Exception:  # the database restarting must not stop the crawls; the next change retries
                log.exception("could not write the queued and running runs")
                self._changes.set()
            if stopping:
                return
            time.sleep(PUBLISH_S)

    def _publish(self, states: list[RunState]) -> None:
        with self.sessions() as session:
            session.execute(delete(ActiveRun).where(ActiveRun.worker == self.name))
            rows = [{"source_id": run.source_id, "state": run.state, "since": run.since, "worker": self.name}
                    for run in states]
            for start in range(0, len(rows), 500):
                insert = insert_statement(session)(ActiveRun).values(rows[start:start + 500])
                session.execute(insert.on_conflict_do_nothing(index_elements=["source_id"]))
            session.commit()

    # --- batches -----------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        while True:
            with self._changed:
                while not self._stopping.is_set() and not (
                        self._queue and len(self._running) < self.config.service.max_parallel_crawls):
                    self._changed.wait()
                if self._stopping.is_set():
                    return
                # Let the runs falling due with the first queued one join its batch.
                now = now_utc()
                wait_s = min(self.collect_s - (now - self._queue[0].since).total_seconds(),
                             self.quiet_s - (now - self._last_due).total_seconds())
                if wait_s > 0 and not self._queue[0].alone:
                    self._changed.wait(wait_s)
                    continue
                batch = self._take_batch()
                self._running[batch.number] = batch
            self._changes.set()
            thread = threading.Thread(target=self._run_batch, args=(batch,), name=f"regwatch-batch-{batch.number}")
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _take_batch(self) -> _Batch:
        first = self._queue.popleft()
        taken = [first]
        if not first.alone:
            kept: deque[_Queued] = deque()
            while self._queue:
                run = self._queue.popleft()
                (taken if not run.alone and len(taken) < self.max_batch else kept).append(run)
            self._queue = kept
        self._numbers += 1
        self.batches_started += 1
        return _Batch(self._numbers, taken, now_utc())

    def _run_batch(self, batch: _Batch) -> None:
        try:
            failed = self._crawl(batch)
        except Exception as error:  # a database hiccup must not lose the runs: record and go on
            log.exception("batch %d (%s) failed", batch.number, ", ".join(batch.source_ids))
            failed = ("crashed", f"crawl batch failed in the service: {type(error).__name__}: {error}")
        finally:
            with self._changed:
                self._running.pop(batch.number, None)
                self._changed.notify_all()
            self._changes.set()
        if failed is not None:
            self._retry(batch, failed[0])
        if batch.outcomes:
            try:
                self.on_finished(batch.outcomes)
            except Exception:
                log.exception("after batch %d: health and alerts failed", batch.number)

    def _crawl(self, batch: _Batch) -> tuple[str, str] | None:
        """Take the batch's run leases (one run per source, whatever else crawls from this database),
        crawl the sources it got, and give the leases back."""
        holder, duration = run_lock.holder_name(), run_lock.lease_time(self.config.service)
        with self.sessions() as session:
            ids = []
            for source_id in batch.source_ids:
                lease = run_lock.take(session, source_id, holder, duration)
                if lease.taken:
                    ids.append(source_id)
                else:
                    log.info("%s: already being crawled by %s; this run is skipped", source_id, lease.holder)
        if not ids:
            return None
        try:
            return self._crawl_leased(batch, ids)
        finally:
            with self.sessions() as session:
                for source_id in ids:
                    run_lock.release(session, source_id, holder)

    def _crawl_leased(self, batch: _Batch, ids: list[str]) -> tuple[str, str] | None:
        """Run the batch process to its end or the time limit; record what it could not record itself."""
        config = self.config
        with self.sessions() as session:
            before = _last_run_ids(session, ids)
        wanted = set(ids)
        # The batch needs only its own sources: a smaller config is quicker to send.
        batch_config = config.model_copy(update={"sources": [s for s in config.sources if s.id in wanted]})
        limit = config.service.crawl_time_limit
        receiver, sender = self._context.Pipe(duplex=False)
        started = time.monotonic()
        with tempfile.NamedTemporaryFile(prefix="regwatch-batch-", suffix=".log") as stderr:
            from scheduler.executors.warm import crawl_batch  # noqa: PLC0415 (pickled by reference only)

            process = self._context.Process(target=crawl_batch, name=f"regwatch-batch-{batch.number}",
                                            args=(sender, batch_config, ids, dict(config.service.crawl_settings),
                                                  stderr.name))
            with self._changed:
                if self._stopping.is_set():
                    return None
                process.start()
                batch.process = process
            sender.close()
            timed_out = not self._receive(batch, receiver, process, limit.total_seconds())
            if timed_out:
                _stop_process(process, config.service.stop_grace.total_seconds())
            process.join()
            receiver.close()
            tail = Path(stderr.name).read_bytes()[-4000:].decode("utf-8", "replace")
        result = ChildResult(",".join(ids), process.exitcode if process.exitcode is not None else -9,
                             time.monotonic() - started, timed_out,
                             stopped=self._stopping.is_set() and not timed_out, stderr_tail=tail)
        failure = failure_message(result, limit)
        if failure is None and not batch.outcomes:  # it exited without sending its outcomes
            failure = ("crashed", crash_message(result.returncode, tail))
        log.info("batch %d: %d source(s) crawled in %.1fs (exit %s)", batch.number, len(ids), result.seconds,
                 result.returncode)
        if failure is None:
            if len(ids) == 1:
                self._alone.discard(ids[0])
            return None
        with self.sessions() as session:
            for source_id in ids:
                record_child_failure(session, source_id, before.get(source_id, 0), *failure)
            batch.outcomes = [_recorded_outcome(session, source_id) for source_id in ids]
        return failure

    def _receive(self, batch: _Batch, receiver, process, limit_s: float) -> bool:
        """Wait for the outcomes and the process's end; False when the time limit passed first."""
        deadline = time.monotonic() + limit_s
        ready = [receiver, process.sentinel]
        while ready:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            for handle in wait(ready, timeout=left):
                if handle is receiver:
                    try:
                        batch.outcomes = receiver.recv()
                    except (EOFError, OSError):
                        pass
                    ready.remove(receiver)
                else:
                    ready = []  # the process ended; whatever it sent was read above or is lost with it
        return True

    def _retry(self, batch: _Batch, kind: str) -> None:
        """Retry a failed batch's runs once, each alone; a source that failed alone stays alone."""
        if kind == "stopped" or self._stopping.is_set():
            return
        if len(batch.runs) == 1:
            self._alone.add(batch.runs[0].source_id)
            return
        failed = {outcome.source_id for outcome in batch.outcomes if outcome.status == "failed"}
        again = [run for run in batch.runs if run.source_id in failed and not run.retry]
        with self._changed:
            for run in again:
                self._queue.appendleft(_Queued(run.source_id, now_utc(), alone=True, retry=True))
            self._changed.notify_all()
        log.warning("batch %d failed (%s): retrying its %d failed runs one by one", batch.number, kind, len(again))


def _probe() -> None:
    """Forked from the fork server to check that it imported the crawl code."""


def _stop_process(process: multiprocessing.process.BaseProcess, grace_s: float) -> None:
    """SIGTERM lets Scrapy close the runs cleanly; SIGKILL if it has not within the grace time."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        if process.pid is None or process.exitcode is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):  # not yet its own group: the process alone
            try:
                os.kill(process.pid, sig)
            except ProcessLookupError:
                return
        process.join(wait_s)


def _last_run_ids(session, source_ids: list[str]) -> dict[str, int]:
    rows = session.execute(select(CrawlRun.source_id, func.max(CrawlRun.id))
                           .where(CrawlRun.source_id.in_(source_ids)).group_by(CrawlRun.source_id))
    return dict(rows.all())


def _recorded_outcome(session, source_id: str) -> SourceOutcome:
    """A failed batch's outcome for one source, as its run record now says."""
    last = runs.last_finished_run(session, source_id)
    if last is None:
        return SourceOutcome(source_id, 0, "failed", dict.fromkeys(COUNTERS, 0), [])
    errors = [error.message for error in runs.run_errors(session, last.id)]
    return SourceOutcome(source_id, last.id, last.status, {name: getattr(last, name) for name in COUNTERS}, errors)
