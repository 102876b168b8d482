"""The service scaled out on Celery, against a real `redis-server` on a loopback port, the real
PostgreSQL server and two real `regwatch worker` processes crawling loopback feeds: runs sent by
the service are crawled by the workers and shown while they run, a worker killed mid-crawl has its
run recorded as failed and crawled again by the other one (every item stored once), two
schedulers never crawl one source at once, two dispatchers never send one delivery twice, and a
broker that is down is a clear error at start and costs no run while it comes back in time."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crawler.config import Config, load_config
from crawler.errors import ConfigError
from crawler.storage import db, runs
from crawler.storage.models import Document
from crawler.storage.scheduler_models import AlertDelivery
from scheduler import run_lock, run_states
from scheduler.alerts import queue
from scheduler.executors.celery import QUEUE, CeleryExecutor
from tests.conftest import POSTGRES_ADMIN_URL, write_config
from tests.feeds import rss
from tests.loopback import LoopbackSite, Reply, SeenRequest
from tests.test_alerts import WebhookReceiver, free_port, item, make_config, store
from tests.test_scheduler import FEED_TYPE, crawl_runs, mark_crawled, wait_for

BROKER_PASSWORD = "s3cret-broker-pw"  # must never appear in a log or an error
ENTRIES = 5


class RedisServer:
    """A real redis-server on a free loopback port, stopped and started again on the same port."""

    def __init__(self, password: str | None = None) -> None:
        self.port, self.password = free_port(), password
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{f':{self.password}@' if self.password else ''}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password, socket_timeout=2)

    def start(self) -> RedisServer:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--daemonize", "no"]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Worker:
    """`regwatch worker` in its own process group, as systemd would run it on another machine."""

    def __init__(self, config: Path, name: str) -> None:
        self.name, self.terminated = name, False
        self.log = config.parent / f"worker-{name}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "regwatch", "--config", str(config), "worker", "--name", name,
                 "--concurrency", "1"], stdout=log, stderr=subprocess.STDOUT, cwd=config.parent,
                start_new_session=True, env={**os.environ, "COLUMNS": "200"})

    def output(self) -> str:
        return self.log.read_text()

    def ready(self) -> bool:
        return " ready." in self.output()

    def kill(self) -> None:
        """The machine dies: the worker and every process it started, without a word."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> None:
        """SIGTERM once: Celery's warm shutdown (a second signal would make it a cold one)."""
        if self.process.poll() is None and not self.terminated:
            self.terminated = True
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    config: Path
    site: LoopbackSite
    broker: RedisServer
    workers: dict[str, Worker]
    database_url: str


def _feed(site: LoopbackSite, path: str, prefix: str, delay_s: float = 0.0, first_delay_s: float | None = None) -> str:
    """A feed of ENTRIES items answering after delay_s (the first request after first_delay_s)."""
    body = rss(site.base, ENTRIES, prefix=prefix).encode()

    def answer(seen: SeenRequest) -> Reply:
        first = len(site.hits(path)) == 1 and first_delay_s is not None
        return Reply(200, body, {"Content-Type": FEED_TYPE}, delay_s=first_delay_s if first else delay_s)

    site.routes[path] = answer
    return site.url(path)


def _source(source_id: str, url: str) -> dict:
    return {"id": source_id, "spider": "feed", "urls": [url], "jurisdiction": "US",
            "schedule": {"interval": "1h", "jitter_s": 0}}


@pytest.fixture(scope="module")
def postgres_store() -> Iterator[str]:
    """A database of its own on the real PostgreSQL server: the store every machine shares."""
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError:
        if os.environ.get("REGWATCH_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but {POSTGRES_ADMIN_URL} is unreachable")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    name = f"regwatch_celery_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    db.get_engine(url).dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_store) -> Iterator[Cluster]:
    broker = RedisServer(BROKER_PASSWORD).start()
    site = LoopbackSite().__enter__()
    sources = [_source("lock-a", _feed(site, "/lock-a.xml", "Lock", delay_s=3)),
               _source("slow-b", _feed(site, "/slow-b.xml", "Slow", first_delay_s=20)),
               _source("fast-1", _feed(site, "/fast-1.xml", "FastOne")),
               _source("fast-2", _feed(site, "/fast-2.xml", "FastTwo"))]
    folder = tmp_path_factory.mktemp("celery")
    config = write_config(folder, sources, storage={"url": postgres_store},
                          service={"executor": "celery", "broker": broker.url, "crawl_time_limit": "3s",
                                   "stop_grace": "1s", "tick": "1s"})
    with db.open_session(postgres_store) as session:
        runs.sync_sources(session, load_config(config).sources)
    workers = {name: Worker(config, name) for name in ("w1", "w2")}
    try:
        wait_for(lambda: all(worker.ready() for worker in workers.values()), timeout=60, what="two workers")
        yield Cluster(config, site, broker, workers, postgres_store)
    finally:
        for worker in workers.values():  # all at once: each waits for its own warm shutdown
            worker.terminate()
        for worker in workers.values():
            worker.stop()
        site.__exit__(None, None, None)
        broker.stop()


def _executor(config: Path, finished: list) -> CeleryExecutor:
    executor = CeleryExecutor(load_config(config), config, finished.extend)
    executor.start()
    return executor


def _running_on(database_url: str) -> dict[str, str]:
    """Source id -> worker of the running runs, as `regwatch schedule` reads them."""
    with db.open_session(database_url) as session:
        return {run.source_id: run.worker for run in run_states.current(session) if run.state == "running"}


def _documents(database_url: str, source_id: str) -> tuple[int, int]:
    """(stored documents, distinct URLs) of a source."""
    with db.open_session(database_url) as session:
        return tuple(session.execute(select(func.count(), func.count(Document.url.distinct()))
                                     .where(Document.source_id == source_id)).one())


def test_two_schedulers_sending_one_source_at_once_get_one_run_from_the_database_lease(cluster):
    finished_a: list = []
    finished_b: list = []
    first, second = _executor(cluster.config, finished_a), _executor(cluster.config, finished_b)
    try:
        first.submit("lock-a")
        second.submit("lock-a")
        wait_for(lambda: finished_a and finished_b, timeout=30, what="both schedulers to see the run end")
    finally:
        first.stop()
        second.stop()
    assert [status for status, _ in crawl_runs(cluster.config, "lock-a")] == ["ok"]
    assert len(cluster.site.hits("/lock-a.xml")) == 1
    skipped = [w for w in cluster.workers.values() if "lock-a: already being crawled by" in w.output()]
    assert len(skipped) == 1
    assert _documents(cluster.database_url, "lock-a") == (ENTRIES, ENTRIES)


def test_lease_is_taken_by_one_of_many_at_once_and_taken_over_only_after_it_expires(database_url):
    engine = db.get_engine(database_url)
    db.upgrade_schema(engine)
    with db.open_session(database_url) as session:
        runs.sync_sources(session, make_config([]).sources)
    results: list[run_lock.Taken] = []
    start = threading.Barrier(6, timeout=20)

    def contend(n: int) -> None:
        with Session(engine) as session:  # open_session would run the migrations check in each thread
            start.wait()
            results.append(run_lock.take(session, "tc260", f"holder-{n}", timedelta(seconds=30)))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [result for result in results if result.taken]
    assert len(winners) == 1
    winner = next(f"holder-{n}" for n in range(6) if all(r.holder == f"holder-{n}" for r in results if not r.taken))
    with db.open_session(database_url) as session:
        assert not run_lock.take(session, "tc260", "late", timedelta(seconds=30)).taken
        session.execute(update(run_lock.RunLease).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
        takeover = run_lock.take(session, "tc260", "late", timedelta(seconds=30))
        assert takeover.taken and takeover.holder == winner
        run_lock.release(session, "tc260", winner)  # too late: not its lease any more
        assert not run_lock.take(session, "tc260", winner, timedelta(seconds=30)).taken
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.close()


def _pending_deliveries(session, receiver: WebhookReceiver, count: int) -> Config:
    config = make_config([{"id": "every-item", "notify": [receiver.url()]}])
    queue.collect(session, config, datetime.now(UTC))  # the watermark: the first start alerts nothing
    store(session, *[item("federal-register", n, f"Rule number {n}") for n in range(count)])
    assert queue.collect(session, config, datetime.now(UTC)) == count
    return config


def test_two_dispatchers_on_one_database_never_send_a_delivery_twice(database_url, receiver):
    with db.open_session(database_url) as session:
        runs.sync_sources(session, make_config([]).sources)
        config = _pending_deliveries(session, receiver, 12)
    start = threading.Barrier(4, timeout=20)
    engine = db.get_engine(database_url)

    def dispatcher() -> None:
        with Session(engine, expire_on_commit=False) as session:
            start.wait()
            queue.dispatch(session, config, datetime.now(UTC))

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    titles = sorted(post["title"] for post in receiver.posts)
    assert titles == sorted(f"Regwatch New: Rule number {n}" for n in range(12))
    with db.open_session(database_url) as session:
        assert set(session.scalars(select(AlertDelivery.status))) == {"sent"}
        assert session.scalar(select(func.count()).where(AlertDelivery.claimed_by.is_not(None))) == 0


@pytest.mark.postgres
def test_dispatcher_skips_deliveries_another_holds_locked_instead_of_waiting_or_sending_them(postgres_database,
                                                                                              receiver):
    url = postgres_database
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    db.get_engine(url).dispose()
    with db.open_session(url) as session:
        runs.sync_sources(session, make_config([]).sources)
        config = _pending_deliveries(session, receiver, 6)
        ids = list(session.scalars(select(AlertDelivery.id).order_by(AlertDelivery.id)))
    with db.open_session(url) as holder, db.open_session(url) as other:
        # Another service is claiming the first three right now (its transaction is open).
        holder.scalars(select(AlertDelivery).where(AlertDelivery.id.in_(ids[:3])).with_for_update()).all()
        started = time.monotonic()
        queue.dispatch(other, config, datetime.now(UTC))
        assert time.monotonic() - started < 10  # it did not wait for the other's lock
        assert sorted(post["title"] for post in receiver.posts) == [f"Regwatch New: Rule number {n}" for n in (3, 4, 5)]
        holder.rollback()
        queue.dispatch(other, config, datetime.now(UTC))
    assert sorted(post["title"] for post in receiver.posts) == [f"Regwatch New: Rule number {n}" for n in range(6)]


@pytest.mark.parametrize(("service", "error"), [
    ({"executor": "celery"}, "executor celery needs a broker: a redis:// or amqp:// URL"),
    ({"executor": "celery", "broker": "http://queue.internal:6379"},
     "broker must be a redis://, rediss://, amqp:// or amqps:// URL, got one starting http://"),
    ({"executor": "threads"}, "field 'service.executor'"),
])
def test_celery_executor_needs_a_redis_or_amqp_broker_or_the_config_is_refused(tmp_path, service, error):
    with pytest.raises(ConfigError, match=re.escape(error)):
        load_config(write_config(tmp_path, [], service=service))


def test_unreachable_broker_stops_serve_and_worker_with_the_url_and_exit_1(tmp_path):
    port = free_port()  # nothing listens there
    config = write_config(tmp_path, [], service={"executor": "celery",
                                                 "broker": f"redis://:{BROKER_PASSWORD}@127.0.0.1:{port}/0"})
    environment = {**os.environ, "COLUMNS": "300"}
    commands = {name: subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(config), *args],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                       env=environment)
                for name, args in (("serve", ("serve", "--no-web")), ("worker", ("worker",)))}
    for name, process in commands.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 1, (name, out, err)
        assert f"the broker at redis://:**@127.0.0.1:{port}/0 is unreachable" in " ".join(err.split())
        assert BROKER_PASSWORD not in out + err
        assert "Traceback" not in err


def test_runs_sent_while_the_broker_is_down_are_kept_and_sent_when_it_returns_or_failed_past_the_grace(tmp_path,
                                                                                                      caplog):
    broker = RedisServer(BROKER_PASSWORD).start()
    sources = [{"id": name, "spider": "feed", "urls": ["http://127.0.0.1:9/feed.xml"]} for name in ("kept", "late")]
    config = write_config(tmp_path, sources, service={"executor": "celery", "broker": broker.url,
                                                      "misfire_grace": "2s"})
    with db.open_session(load_config(config).database_url) as session:
        runs.sync_sources(session, load_config(config).sources)
    executor = _executor(config, [])
    caplog.set_level("INFO", logger="scheduler.executors.celery")
    try:
        broker.stop()
        executor.submit("late")
        [(status, errors)] = wait_for(lambda: crawl_runs(config, "late"), timeout=15, what="the run given up")
        assert status == "failed"
        assert errors[0].startswith(f"broker_unreachable: run not sent: the broker at redis://:**@127.0.0.1:"
                                    f"{broker.port}/0 was unreachable from ")
        assert BROKER_PASSWORD not in errors[0]
        executor.submit("kept")
        time.sleep(1.5)  # the first send fails
        broker.start()
        message = wait_for(lambda: broker.client().lpop(QUEUE), timeout=15, what="the kept run sent")
        assert _task_sources(message) == ["kept"]
        assert f"the broker at redis://:**@127.0.0.1:{broker.port}/0 is back: sending the runs kept" in caplog.text
        assert crawl_runs(config, "kept") == []  # not failed: it is on its way to a worker
    finally:
        executor.stop()
        broker.stop()


def _task_sources(message: bytes) -> list[str]:
    """The source ids of a Celery task message as the broker holds it (JSON, body in base64)."""
    envelope = json.loads(message)
    args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    return args[0]


def test_worker_killed_mid_crawl_has_its_run_failed_and_crawled_again_by_the_other_worker(cluster):
    mark_crawled(cluster.config, "lock-a")  # only the three never crawled go out at start
    log = cluster.config.parent / "serve.log"
    with log.open("w") as output:
        serve = subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(cluster.config), "serve",
                                  "--no-web"], stdout=output, stderr=subprocess.STDOUT, cwd=cluster.config.parent)
    try:
        wait_for(lambda: cluster.site.hits("/slow-b.xml"), timeout=30, what="the slow feed's request")
        holder = _running_on(cluster.database_url)["slow-b"]  # e.g. w1@host/1234: the worker's name and process
        killed = next(w for name, w in cluster.workers.items() if holder.startswith(f"{name}@"))
        killed.kill()  # within the crawl's 3 s time limit: the slow feed has not answered yet
        # What the operator sees until the lease expires: the run still on the dead worker.
        listings = [subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(cluster.config), "schedule",
                                      *options], stdout=subprocess.PIPE, text=True, cwd=cluster.config.parent,
                                     env={**os.environ, "COLUMNS": "250"}) for options in (("--json",), ())]
        shown, table = (listing.communicate(timeout=60)[0] for listing in listings)
        assert {"source_id": "slow-b", "state": "running", "worker": holder} in [
            {key: run[key] for key in ("source_id", "state", "worker")} for run in json.loads(shown)["runs"]]
        assert "Queued and running" in table
        assert any("slow-b" in line and "running" in line and holder in line for line in table.splitlines())
        wait_for(lambda: [s for s, _ in crawl_runs(cluster.config, "slow-b")][-1:] == ["ok"], timeout=45,
                 what="the killed run crawled again")
        wait_for(lambda: not _running_on(cluster.database_url), timeout=15, what="no run running")
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0
    [(failed, errors), rerun] = crawl_runs(cluster.config, "slow-b")
    assert failed == "failed" and rerun == ("ok", [])
    assert len(errors) == 1
    assert errors[0].startswith(f"worker_lost: the crawl on {holder} stopped before the end: its worker was lost")
    survivor = next(w for w in cluster.workers.values() if w is not killed)
    assert "slow-b" in survivor.output()
    for source_id in ("slow-b", "fast-1", "fast-2"):
        assert _documents(cluster.database_url, source_id) == (ENTRIES, ENTRIES)
        assert crawl_runs(cluster.config, source_id)[-1] == ("ok", [])
    logs = log.read_text() + "".join(w.output() for w in cluster.workers.values())
    assert BROKER_PASSWORD not in logs
    assert "redis://:**@127.0.0.1" in logs
