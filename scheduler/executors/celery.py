"""The Celery executor: `regwatch serve` keeps the schedule and sends due runs to a broker (Redis
or RabbitMQ); `regwatch worker` processes on any machine sharing the config, the broker and the
database crawl them (scheduler.executors.celery_worker).

Delivery: a task is acknowledged only when its runs are recorded (late acknowledgement) and is
given back to the queue if its worker dies (reject on worker lost; a worker that vanished
without a word is noticed by the broker: RabbitMQ when its connection drops, Redis when the
visibility timeout passes). The visibility timeout is the run lease (crawl time limit + stop
grace + a margin, scheduler.run_lock) plus a margin, so a live crawl is never handed out twice,
and the database lease keeps one run per source at a time even if it were.

Runs that cannot be sent (the broker is down) are kept and sent again when it is back; a run
still unsent after `service.misfire_grace` is recorded as failed with the reason."""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from celery import Celery
from kombu.utils.url import maybe_sanitize_url
from sqlalchemy.orm import sessionmaker

from crawler.config import Config, ServiceConfig
from crawler.errors import ConfigError, ServiceError
from crawler.run import COUNTERS
from crawler.runner import SourceOutcome
from crawler.storage import db, runs
from crawler.storage.runs import now_utc
from scheduler import run_lock, run_states
from scheduler.child import last_run_id, record_child_failure
from scheduler.executors import OnFinished, RunState

log = logging.getLogger(__name__)
TASK = "regwatch.crawl_sources"
QUEUE = "regwatch"
COLLECT_S = 1.0  # runs due within this time of the first one go to the workers as one batch
MAX_BATCH = 50  # sources per task: a lost worker re-queues at most this many runs
RESEND_S = 2.0  # how often unsent runs are tried again while the broker is down
WATCH_S = 1.0  # how often finished runs are looked for
CONNECT_TIMEOUT_S = 5.0


class BrokerUnreachable(ServiceError):
    """The broker does not answer; the URL is shown with its password masked."""


def masked(url: str) -> str:
    """The broker URL as logs and errors show it: the password replaced by asterisks."""
    return maybe_sanitize_url(url)


def visibility_timeout(service: ServiceConfig) -> timedelta:
    """How long a task may stay unacknowledged before Redis hands it to another worker: longer
    than the run lease, so the lease of a dead worker's crawl has always expired by then."""
    return run_lock.lease_time(service) + max(timedelta(seconds=5), service.crawl_time_limit / 10)


def make_app(config: Config) -> Celery:
    """The Celery app of this config, for the service (sending) and the workers (crawling)."""
    service = config.service
    if service.executor != "celery" or not service.broker:
        raise ConfigError("service.executor is not celery: set `service: {executor: celery, broker: URL}` "
                          "in the config to use Celery workers")
    visibility = visibility_timeout(service).total_seconds()
    app = Celery("regwatch", broker=service.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker takes a task only when a process is free for it
        task_serializer="json", accept_content=["json"], result_serializer="json",
        task_ignore_result=True,  # outcomes are in the database, where every machine reads them
        task_default_queue=QUEUE,
        broker_connection_timeout=CONNECT_TIMEOUT_S,
        broker_connection_retry_on_startup=True,
        # A worker whose broker went away keeps trying (every 2 s more, up to 30 s) until it is back;
        # an unreachable broker at start is refused before (check_broker).
        broker_connection_max_retries=None,
        # A publish to a broker that is down fails in about a second; the service keeps the runs.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.4,
                                   "interval_max": 1},
        broker_transport_options={
            "visibility_timeout": visibility,
            # Redis looks for tasks of dead workers this often (kombu's default sweep is ~100 s).
            "unacked_restore_interval": max(1.0, min(60.0, visibility / 5)),
            "unacked_restore_throttle": 1,
            "socket_timeout": 30, "socket_connect_timeout": CONNECT_TIMEOUT_S,
        },
        enable_utc=True, timezone="UTC",
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def check_broker(app: Celery, url: str) -> None:
    """Connect once; raise BrokerUnreachable naming the URL (password masked) if it does not answer."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=CONNECT_TIMEOUT_S)  # one attempt
    except Exception as error:  # kombu raises the transport's own errors (OSError, redis, amqp)
        raise BrokerUnreachable(f"the broker at {masked(url)} is unreachable: {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    return str(error) or str(error.__cause__ or "") or type(error).__name__


@dataclass
class _Unsent:
    source_ids: list[str]
    due: datetime  # when the first of them was submitted: the misfire grace counts from here


class CeleryExecutor:
    """The service side: due runs batched and sent as tasks; their states read from the database."""

    def __init__(self, config: Config, config_path: Path, on_finished: OnFinished) -> None:
        self.config, self.config_path, self.on_finished = config, config_path, on_finished
        self.app = make_app(config)
        self.broker = masked(config.service.broker or "")
        self.sessions = sessionmaker(db.get_engine(config.database_url), expire_on_commit=False)
        self._collecting: list[str] = []
        self._collecting_since: datetime | None = None
        self._unsent: deque[_Unsent] = deque()
        self._pending: dict[str, datetime] = {}  # submitted and not finished yet
        self._sent: set[str] = set()  # of those, the ones a worker has or will have
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._broker_down_since: datetime | None = None
        self._threads: list[threading.Thread] = []

    # --- the interface -----------------------------------------------------------------------------
    def start(self) -> None:
        check_broker(self.app, self.config.service.broker or "")
        log.info("sending due runs to Celery workers through %s", self.broker)
        for name, target in (("regwatch-celery-send", self._send_loop), ("regwatch-celery-watch", self._watch_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def update_config(self, config: Config) -> None:
        self.config = config

    def submit(self, source_id: str) -> None:
        with self._changed:
            if self._stopping.is_set():
                return
            if source_id in self._pending:
                log.info("%s: due again while its last run is still queued or running; skipped", source_id)
                return
            self._pending[source_id] = now_utc()
        with self.sessions() as session:  # before it can be sent: a worker's mark_done must come after
            run_states.mark_queued(session, source_id)
        with self._changed:
            self._collecting.append(source_id)
            self._collecting_since = self._collecting_since or now_utc()
            self._changed.notify_all()

    def states(self) -> list[RunState]:
        with self.sessions() as session:
            return [RunState(row.source_id, row.state, row.since) for row in run_states.current(session)]

    def stop(self) -> None:
        """Runs already sent stay with the workers (they crawl and record them without the
        service); runs not sent yet are dropped from the queue shown by `regwatch schedule`."""
        with self._changed:
            self._stopping.set()
            dropped = self._collecting + [sid for unsent in self._unsent for sid in unsent.source_ids]
            self._collecting, self._unsent = [], deque()
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()
        with self.sessions() as session:
            for source_id in dropped:
                run_states.mark_done(session, source_id)
        if dropped:
            log.warning("stopped with %d run(s) not sent to the broker: %s", len(dropped), ", ".join(dropped))

    # --- sending -----------------------------------------------------------------------------------
    def _send_loop(self) -> None:
        while True:
            with self._changed:
                while not self._stopping.is_set() and not self._ready():
                    self._changed.wait(self._wait_s())
                if self._stopping.is_set():
                    return
                if self._collecting and self._window_passed():
                    for start in range(0, len(self._collecting), MAX_BATCH):
                        self._unsent.append(_Unsent(self._collecting[start:start + MAX_BATCH],
                                                    self._collecting_since or now_utc()))
                    self._collecting, self._collecting_since = [], None
                batches = list(self._unsent)
                self._unsent.clear()
            failed = self._send(batches)
            with self._changed:
                self._unsent.extendleft(reversed(failed))
            if failed:
                self._stopping.wait(RESEND_S)

    def _window_passed(self) -> bool:
        return self._collecting_since is not None and (now_utc() - self._collecting_since).total_seconds() >= COLLECT_S

    def _ready(self) -> bool:
        return bool(self._unsent) or (bool(self._collecting) and self._window_passed())

    def _wait_s(self) -> float | None:
        if self._collecting_since is None:
            return None
        return max(0.01, COLLECT_S - (now_utc() - self._collecting_since).total_seconds())

    def _send(self, batches: list[_Unsent]) -> list[_Unsent]:
        """Send each batch; return those the broker did not take (the first failure ends the round)."""
        for index, batch in enumerate(batches):
            try:
                self.app.send_task(TASK, args=[batch.source_ids], queue=QUEUE)
            except Exception as error:  # kombu's OperationalError, or the transport's own
                return self._broker_down(batches[index:], error)
            if self._broker_down_since is not None:
                log.warning("the broker at %s is back: sending the runs kept since %s", self.broker,
                            self._broker_down_since.isoformat(timespec="seconds"))
                self._broker_down_since = None
            with self._changed:
                self._sent.update(batch.source_ids)
            log.info("sent %d run(s) to the workers: %s", len(batch.source_ids), ", ".join(batch.source_ids))
        return []

    def _broker_down(self, batches: list[_Unsent], error: BaseException) -> list[_Unsent]:
        now = now_utc()
        if self._broker_down_since is None:
            self._broker_down_since = now
            log.error("cannot send runs to the broker at %s (%s); keeping them and trying again every %g s "
                      "for up to %s", self.broker, _reason(error), RESEND_S, self.config.service.misfire_grace)
        grace = self.config.service.misfire_grace
        kept = [batch for batch in batches if now - batch.due < grace]
        for batch in batches:
            if now - batch.due >= grace:
                self._give_up(batch, f"run not sent: the broker at {self.broker} was unreachable from "
                                     f"{self._broker_down_since.isoformat(timespec='seconds')} until past the "
                                     f"misfire grace of {grace} ({_reason(error)})")
        return kept

    def _give_up(self, batch: _Unsent, message: str) -> None:
        with self.sessions() as session:
            for source_id in batch.source_ids:
                record_child_failure(session, source_id, last_run_id(session, source_id), "broker_unreachable",
                                     message)
                run_states.mark_done(session, source_id)
        with self._changed:
            for source_id in batch.source_ids:
                self._pending.pop(source_id, None)

    # --- finished runs -----------------------------------------------------------------------------
    def _watch_loop(self) -> None:
        """Tell the service about runs that ended: their source left the active runs."""
        while not self._stopping.wait(WATCH_S):
            try:
                self._collect_finished()
            except Exception:  # the database restarting must not end the watch: the next round retries
                log.exception("reading the state of the runs sent to Celery failed")

    def _collect_finished(self) -> None:
        with self._changed:
            waiting = {sid: self._pending[sid] for sid in self._sent}
        if not waiting:
            return
        lost_after = run_lock.lease_time(self.config.service) + visibility_timeout(self.config.service) * 2
        with self.sessions() as session:
            active = {row.source_id for row in run_states.current(session)}
            finished = [sid for sid in waiting if sid not in active]
            lost = [sid for sid in waiting if sid in active and now_utc() - waiting[sid] > lost_after]
            for source_id in lost:  # e.g. the broker's data was wiped: never finished, never redelivered
                log.warning("%s: no worker finished its run within %s; the service stops waiting for it",
                            source_id, lost_after)
                run_states.mark_done(session, source_id)
            outcomes = [last_outcome(session, source_id) for source_id in finished]
        with self._changed:
            for source_id in finished + lost:
                self._pending.pop(source_id, None)
                self._sent.discard(source_id)
        if outcomes:
            try:
                self.on_finished(outcomes)
            except Exception:
                log.exception("after runs on the workers: health and alerts failed")


def last_outcome(session, source_id: str) -> SourceOutcome:
    """A finished run's outcome as its record says (the worker wrote it)."""
    last = runs.last_finished_run(session, source_id)
    if last is None:
        return SourceOutcome(source_id, 0, "failed", dict.fromkeys(COUNTERS, 0), [])
    errors = [error.message for error in runs.run_errors(session, last.id)]
    return SourceOutcome(source_id, last.id, last.status, {name: getattr(last, name) for name in COUNTERS}, errors)
