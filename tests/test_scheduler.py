"""The background service with a real job store (SQLite and PostgreSQL): jobs from config,
restarts, missed runs inside and outside the grace time, time limits, crashing spiders, and a new
feed entry alerted exactly once. Crawls are real Scrapy crawls in the local executor's warm processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import inspect, select

from crawler.config import load_config
from crawler.errors import ConfigError
from crawler.storage import db
from crawler.storage.models import CrawlRun, RunError
from crawler.storage.scheduler_models import MissedRun
from scheduler import jobs
from scheduler.service import Service
from tests.conftest import regwatch, write_config
from tests.feeds import rss
from tests.loopback import Reply
from tests.test_alerts import WebhookReceiver, free_port, webhook  # noqa: F401 (fixture)

FEED_TYPE = "application/rss+xml"


def feed_source(site, source_id: str, path: str = "/feed.xml", every: str = "1h", **extra) -> dict:
    return {"id": source_id, "spider": "feed", "urls": [site.url(path)], "jurisdiction": "US",
            "schedule": {"interval": every, "jitter_s": 0}, **extra}


def wait_for(predicate: Callable[[], object], timeout: float = 20, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def crawl_runs(config: Path, source_id: str) -> list[tuple[str, list[str]]]:
    """(status, ["kind: message", ...]) per run of the source, oldest first."""
    url = load_config(config).database_url
    with db.open_session(url) as session:
        rows = session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id)).all()
        return [(run.status if run.finished_at else "running",
                 [f"{e.kind}: {e.message}" for e in session.scalars(select(RunError).where(RunError.run_id == run.id))])
                for run in rows]


def finished_runs(config: Path, source_id: str) -> list[tuple[str, list[str]]]:
    return [run for run in crawl_runs(config, source_id) if run[0] != "running"]


def next_run_times(config: Path) -> dict[str, datetime]:
    engine = db.get_engine(load_config(config).database_url)
    if not inspect(engine).has_table(jobs.JOB_TABLE):  # the service has not started yet
        return {}
    store = SQLAlchemyJobStore(engine=engine, tablename=jobs.JOB_TABLE)
    return {job.id: job.next_run_time for job in store.get_all_jobs()}


def mark_crawled(config: Path, *source_ids: str) -> None:
    """A finished run in the history, so the service does not crawl these at once on start."""
    now = datetime.now(UTC)
    with db.open_session(load_config(config).database_url) as session:
        for source_id in source_ids:
            session.add(CrawlRun(source_id=source_id, started_at=now, finished_at=now, status="ok"))
        session.commit()


def set_next_run(config: Path, source_id: str, moment: datetime) -> None:
    """What a service that was down looks like: the stored next run time lies in the past."""
    url = load_config(config).database_url
    store = SQLAlchemyJobStore(engine=db.get_engine(url), tablename=jobs.JOB_TABLE)
    job = store.lookup_job(jobs.job_id(source_id))
    job.next_run_time = moment
    store.update_job(job)


class Served:
    """`regwatch serve` in a child process, as systemd would run it (`--no-web` unless asked)."""

    def __init__(self, config: Path, env: dict | None = None, options: tuple[str, ...] = ("--no-web",)) -> None:
        environment = {**os.environ, **(env or {})}
        environment.pop("REGWATCH_DATABASE_URL", None)
        self.log = config.parent / "serve.log"
        with self.log.open("a") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(config), "serve",
                                             *options], stdout=log, stderr=subprocess.STDOUT, cwd=config.parent,
                                            env=environment)

    def stop(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def served():
    started: list[Served] = []

    def start(config: Path, env: dict | None = None, options: tuple[str, ...] = ("--no-web",)) -> Served:
        started.append(Served(config, env, options))
        return started[-1]

    yield start
    for one in started:
        if one.process.poll() is None:
            one.process.kill()
            one.process.wait()


def storage(database_url: str) -> dict:
    return {"url": database_url}


def test_jobs_follow_config_survive_a_restart_and_a_reload(site, tmp_path, database_url):
    sources = [feed_source(site, "hourly"), feed_source(site, "weekdays", schedule={"cron": "30 6 * * 1-5"}),
               feed_source(site, "off", enabled=False)]
    config = write_config(tmp_path, sources, storage=storage(database_url), service={"misfire_grace": "90s"})
    mark_crawled(config, "hourly", "weekdays", "off")
    started = datetime.now(UTC)
    service = Service(config)
    service.start()
    [hourly, weekdays] = sorted(service.scheduler.get_jobs(), key=lambda job: job.id)
    service.shutdown()
    assert (hourly.id, weekdays.id) == ("crawl:hourly", "crawl:weekdays")
    assert hourly.coalesce and hourly.max_instances == 1 and hourly.misfire_grace_time == 90
    assert timedelta(minutes=59) < hourly.next_run_time - started < timedelta(minutes=61)
    local = weekdays.next_run_time.astimezone(weekdays.trigger.timezone)
    assert (local.hour, local.minute, local.weekday() < 5) == (6, 30, True)  # in the source's own time zone
    assert str(weekdays.trigger.timezone) == "America/New_York"
    before = next_run_times(config)
    Service(config).start()  # a restart keeps the stored times: no run now, no run pushed back
    restarted = next_run_times(config)
    assert restarted == before
    listing = regwatch(config, "schedule")
    assert "hourly" in listing.stdout and before["crawl:hourly"].strftime("%Y-%m-%d %H:%M") in listing.stdout
    assert "off" not in listing.stdout
    sources[0]["schedule"] = {"interval": "2h", "jitter_s": 0}
    write_config(tmp_path, [sources[0], {**sources[2], "enabled": True}], storage=storage(database_url))
    service = Service(config)
    service.start()
    after = next_run_times(config)
    service.shutdown()
    assert set(after) == {"crawl:hourly", "crawl:off"}
    assert timedelta(minutes=119) < after["crawl:hourly"] - started < timedelta(minutes=122)
    assert after["crawl:off"] > started + timedelta(minutes=59)  # was crawled before: its next slot, not now


def test_crontab_weekdays_count_from_sunday_and_jitter_stays_within_5_percent_of_the_interval(tmp_path):
    def source(schedule: dict) -> dict:
        return {"id": "agency", "spider": "feed", "urls": ["http://127.0.0.1:9/feed"], "jurisdiction": "US",
                "schedule": schedule}

    saturday = datetime(2025, 3, 8, 12, tzinfo=UTC)
    weekdays = load_config(write_config(tmp_path, [source({"cron": "30 6 * * 1-5", "jitter_s": 0})])).sources[0]
    assert jobs.trigger_for(weekdays, saturday).get_next_fire_time(None, saturday).isoformat() == \
        "2025-03-10T06:30:00-04:00"  # Monday, not Saturday (APScheduler 3 counts 0 as Monday)
    sundays = load_config(write_config(tmp_path, [source({"cron": "0 9 * * 0", "jitter_s": 0})])).sources[0]
    assert jobs.trigger_for(sundays, saturday).get_next_fire_time(None, saturday).strftime("%A") == "Sunday"
    every_minute = load_config(write_config(tmp_path, [source({"interval": "1m"})])).sources[0]
    assert (every_minute.schedule.jitter_s, jobs.jitter_s(every_minute, saturday)) == (60, 3)
    daily = load_config(write_config(tmp_path, [source({"cron": "30 6 * * 1-5"})])).sources[0]
    assert jobs.jitter_s(daily, saturday) == 60
    write_config(tmp_path, [source({"cron": "0 9 * * 8"})])
    with pytest.raises(ConfigError, match=r"schedule.*'8' is not a day of the week"):
        load_config(tmp_path / "config.yaml")


def test_missed_run_inside_the_grace_time_runs_once_after_restart(site, tmp_path, database_url):
    site.serve("/feed.xml", rss(site.base, 2), FEED_TYPE)
    config = write_config(tmp_path, [feed_source(site, "agency")], storage=storage(database_url),
                          service={"misfire_grace": "1h", "tick": "1s"})
    mark_crawled(config, "agency")
    service = Service(config)
    service.start()
    service.shutdown()
    now = datetime.now(UTC)
    set_next_run(config, "agency", now - timedelta(minutes=150))  # three slots missed while down
    service = Service(config)
    service.start()
    try:
        wait_for(lambda: len(finished_runs(config, "agency")) == 2, what="the catch-up crawl")
        time.sleep(1.5)
    finally:
        service.shutdown()
    assert [status for status, _ in finished_runs(config, "agency")] == ["ok", "ok"]  # one run, not three
    assert len(site.hits("/feed.xml")) == 1
    assert timedelta(minutes=25) < next_run_times(config)["crawl:agency"] - now < timedelta(minutes=35)


def test_missed_run_past_the_grace_time_is_recorded_and_reported_not_silently_skipped(
        site, tmp_path, database_url, webhook):  # noqa: F811 (fixture)
    config = write_config(tmp_path, [feed_source(site, "agency")], storage=storage(database_url),
                          service={"misfire_grace": "60s", "tick": "1s", "operator_notify": [webhook.url("/ops")]})
    mark_crawled(config, "agency")
    service = Service(config)
    service.start()
    service.shutdown()
    scheduled = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    set_next_run(config, "agency", scheduled)
    service = Service(config)
    service.start()
    try:
        wait_for(lambda: service.deliver_alerts() or webhook.posts, what="the operator message")
    finally:
        service.shutdown()
    with db.open_session(load_config(config).database_url) as session:
        [missed] = session.scalars(select(MissedRun)).all()
    assert missed.source_id == "agency" and missed.scheduled_for == scheduled
    assert site.hits("/feed.xml") == []  # not crawled outside the grace time
    [post] = webhook.posts
    assert post["path"] == "/ops" and post["title"] == "Regwatch: Scheduled crawl of agency was missed"
    assert f"run scheduled for {scheduled.isoformat()} was missed" in post["message"]
    sources = regwatch(config, "sources", "--json")
    assert scheduled.isoformat() in sources.stdout  # health.last_missed
    assert next_run_times(config)["crawl:agency"] > datetime.now(UTC)


def test_crawl_over_its_time_limit_is_stopped_and_recorded_failed(site, tmp_path, served, database_url):
    site.routes["/slow.xml"] = Reply(200, rss(site.base, 1).encode(), {"Content-Type": FEED_TYPE}, delay_s=15)
    config = write_config(tmp_path, [feed_source(site, "slow", "/slow.xml")], crawl={"timeout_s": 60},
                          storage=storage(database_url),
                          service={"crawl_time_limit": "3s", "stop_grace": "2s", "tick": "1s"})
    service = served(config)
    [(status, errors)] = wait_for(lambda: finished_runs(config, "slow"), what="the stopped crawl")
    assert service.process.poll() is None  # the service is still up
    assert service.stop() == 0
    assert status == "failed"
    assert "time_limit: crawl exceeded its time limit of 3s and was stopped" in errors


def write_crashing_spider(folder: Path) -> None:
    package = folder / "crashing_spiders"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import os, sys\n"
        "from spiders.feed import GenericFeedSpider\n\n\n"
        "class CrashingSpider(GenericFeedSpider):\n"
        "    name = 'crashing'\n\n"
        "    def parse_feed(self, response):\n"
        "        print('Fatal Python error: Segmentation fault', file=sys.stderr, flush=True)\n"
        "        os._exit(70)\n")


def test_crashing_spider_is_recorded_and_the_service_keeps_crawling(site, tmp_path, served, database_url):
    site.serve("/feed.xml", rss(site.base, 2), FEED_TYPE)
    write_crashing_spider(tmp_path)
    config = write_config(tmp_path, [feed_source(site, "crasher", every="3s", spider="crashing"),
                                     feed_source(site, "steady", every="3s")], storage=storage(database_url),
                          service={"tick": "1s", "crawl_settings": {"SPIDER_MODULES": "spiders,crashing_spiders"}})
    service = served(config, env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    crashes = wait_for(lambda: len(finished_runs(config, "crasher")) >= 2 and finished_runs(config, "crasher"),
                       timeout=30, what="two crashed runs")
    wait_for(lambda: len(finished_runs(config, "steady")) >= 2, what="two runs of the steady source")
    assert service.process.poll() is None
    assert service.stop() == 0
    crash = ["crashed: crawl process exited with code 70: Fatal Python error: Segmentation fault"]
    assert crashes[0] == ("failed", crash)
    # Due together, the two share a crawl process: the crash fails the steady source's run too, and
    # that run is retried alone at once.
    steady = finished_runs(config, "steady")
    assert "ok" in [status for status, _ in steady][:2]
    assert all(run == ("ok", []) or run == ("failed", crash) for run in steady)


def test_sigterm_mid_crawl_records_the_stopped_run_and_a_restart_does_not_repeat_it(site, tmp_path, served,
                                                                                   database_url):
    # Scrapy lets an in-flight download finish after SIGTERM (a run that then completes is ok);
    # this one outlasts the stop grace, so the service has to stop it.
    site.routes["/feed.xml"] = Reply(200, rss(site.base, 1).encode(), {"Content-Type": FEED_TYPE}, delay_s=6)
    config = write_config(tmp_path, [feed_source(site, "agency")], crawl={"timeout_s": 60},
                          storage=storage(database_url), service={"tick": "1s", "stop_grace": "2s"})
    service = served(config)
    wait_for(lambda: site.hits("/feed.xml"), what="the crawl to start")
    began = time.monotonic()
    assert service.stop() == 0
    assert time.monotonic() - began < 15
    [(status, errors)] = crawl_runs(config, "agency")
    assert status == "failed"
    assert any("stopped" in error for error in errors), errors
    scheduled = next_run_times(config)["crawl:agency"]
    again = served(config)
    time.sleep(4)
    assert again.stop() == 0
    assert len(crawl_runs(config, "agency")) == 1 and len(site.hits("/feed.xml")) == 1
    assert next_run_times(config)["crawl:agency"] == scheduled


def test_new_feed_entry_is_alerted_once_even_across_a_restart(site, tmp_path, served, webhook,  # noqa: F811
                                                              database_url):
    site.serve("/feed.xml", rss(site.base, 2), FEED_TYPE)
    config = write_config(tmp_path, [feed_source(site, "agency", every="2s")], service={"tick": "1s"},
                          storage=storage(database_url),
                          alerts=[{"id": "ai", "notify": [webhook.url()], "match": {"keywords": ["intelligence"]}}])
    service = served(config)
    wait_for(lambda: finished_runs(config, "agency"), what="the baseline crawl")
    site.serve("/feed.xml", rss(site.base, 3, start=datetime(2025, 1, 16, tzinfo=UTC)), FEED_TYPE)
    wait_for(lambda: webhook.posts, timeout=20, what="the alert")
    assert service.stop() == 0
    again = served(config)
    runs_before = len(finished_runs(config, "agency"))
    wait_for(lambda: len(finished_runs(config, "agency")) >= runs_before + 2, what="two more crawls")
    assert again.stop() == 0
    [post] = webhook.posts
    assert post["title"] == "Regwatch New: Notice 2 on artificial intelligence"
    assert "Why: rule ai: keywords found: intelligence" in post["message"]


def test_reload_command_and_sighup_apply_config_changes(site, tmp_path, served, database_url):
    site.serve("/feed.xml", rss(site.base, 1), FEED_TYPE)
    sources = [feed_source(site, "first")]
    settings = {"service": {"tick": "1s"}, "storage": storage(database_url)}
    config = write_config(tmp_path, sources, **settings)
    mark_crawled(config, "first", "second")
    service = served(config)
    wait_for(lambda: "crawl:first" in next_run_times(config), what="the first job")
    write_config(tmp_path, [*sources, feed_source(site, "second")], **settings)
    reload = regwatch(config, "schedule", "reload")
    assert reload.returncode == 0, reload.stderr
    assert set(next_run_times(config)) == {"crawl:first", "crawl:second"}
    write_config(tmp_path, [feed_source(site, "second")], **settings)
    service.process.send_signal(signal.SIGHUP)
    wait_for(lambda: set(next_run_times(config)) == {"crawl:second"}, what="the job of 'first' to go")
    assert service.stop() == 0
    assert regwatch(config, "schedule", "reload", "--wait", "1").returncode == 1  # nobody is listening


def test_failing_source_backs_off_is_reported_broken_and_recovers_by_itself(site, tmp_path, served,
                                                                             webhook):  # noqa: F811
    site.serve("/feed.xml", "down for maintenance", "text/plain", status=503)
    config = write_config(tmp_path, [feed_source(site, "agency", every="2s")],
                          service={"tick": "1s", "broken_after": 2, "max_backoff": "3s",
                                   "operator_notify": [webhook.url("/ops")]})
    service = served(config)
    wait_for(lambda: webhook.posts, timeout=30, what="the broken message")
    wait_for(lambda: re.search(r"agency: backing off after \d+ failures until", service.output()), what="the backoff")
    site.serve("/feed.xml", rss(site.base, 2), FEED_TYPE)
    wait_for(lambda: len(webhook.posts) == 2, timeout=30, what="the recovered message")
    service.process.send_signal(signal.SIGINT)  # Ctrl-C stops as cleanly as SIGTERM
    assert service.process.wait(30) == 0
    assert "regwatch service stopped" in service.output()
    assert [post["title"] for post in webhook.posts] == ["Regwatch: Source agency is broken",
                                                         "Regwatch: Source agency is ok"]
    assert "2 failed runs in a row; last error fetch_failed" in webhook.posts[0]["message"]
    statuses = [status for status, _ in finished_runs(config, "agency")]
    # The 2 s schedule may start one more run before Ctrl-C, which then stops it: it ends failed.
    assert statuses[:2] == ["failed", "failed"] and "ok" in statuses[2:]


STAND_IN_WEB_APP = """
async def _app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": SOURCES.encode()})


def create_app(config):
    global SOURCES
    SOURCES = "sources: " + ", ".join(source.id for source in config.sources)
    return _app
"""


def test_one_command_starts_the_web_app_beside_the_scheduler_and_stops_both(site, tmp_path, served):
    stand_in = tmp_path / "stand-in" / "web"  # any web.app.create_app(config); the real one is the web package
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text("")
    (stand_in / "app.py").write_text(STAND_IN_WEB_APP)
    config = write_config(tmp_path, [feed_source(site, "agency")], service={"tick": "1s"})
    mark_crawled(config, "agency")
    port = free_port()
    service = served(config, env={"PYTHONPATH": str(stand_in.parent)}, options=("--port", str(port)))

    def page() -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                return response.read().decode()
        except OSError:
            return None

    assert wait_for(page, what="the web app") == "sources: agency"
    # and the scheduler runs in the same process (it may register its jobs just after the app listens)
    assert wait_for(lambda: "crawl:agency" in next_run_times(config), what="the scheduler's jobs")
    second = served(config, env={"PYTHONPATH": str(stand_in.parent)}, options=("--port", str(port)))
    assert second.process.wait(30) == 1  # the port is taken: says so and exits, crawling nothing
    assert f"the web app could not listen on 127.0.0.1:{port}" in second.output()
    assert service.stop() == 0
    assert page() is None
