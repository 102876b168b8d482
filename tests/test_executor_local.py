"""The local executor: due runs crawled together in warm processes forked from a fork server,
each source with its own run record and WARC file; a crash or a hang fails only its batch, whose
failed runs are retried one by one."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.config import Config, load_config
from crawler.outcome import SourceOutcome
from crawler.storage import db, runs
from crawler.storage.models import CrawlRun, RunError
from scheduler.executors import make_executor
from scheduler.executors.local import LocalExecutor
from tests.conftest import write_config
from tests.feeds import rss
from tests.loopback import Reply

FEED_TYPE = "application/rss+xml"
TEST_SPIDERS = {"SPIDER_MODULES": "spiders,tests.warm_spiders"}
# A fresh interpreter spends well over a CPU-second importing Scrapy, SQLAlchemy and the spiders
# before it reads a feed; a process forked from the warm fork server has imported them already.
WARM_CPU_S = 0.9


def feed(site, source_id: str, path: str = "/feed.xml", spider: str = "witness") -> dict:
    return {"id": source_id, "spider": spider, "urls": [site.url(path)], "jurisdiction": "US"}


class Finished:
    """The executor's on_finished: the outcomes of each batch, in order."""

    def __init__(self) -> None:
        self.batches: list[list[SourceOutcome]] = []
        self.changed = threading.Condition()

    def __call__(self, outcomes: list[SourceOutcome]) -> None:
        with self.changed:
            self.batches.append(outcomes)
            self.changed.notify_all()

    def wait(self, outcomes: int, timeout: float = 40) -> list[SourceOutcome]:
        with self.changed:
            if not self.changed.wait_for(lambda: sum(map(len, self.batches)) >= outcomes, timeout):
                raise AssertionError(f"timed out waiting for {outcomes} outcomes, got {self.batches}")
            return [outcome for batch in self.batches for outcome in batch]


def executor_for(path: Path, **service: object) -> tuple[Config, LocalExecutor, Finished]:
    config = load_config(path)
    with db.open_session(config.database_url) as session:  # what the service does before its first run
        runs.sync_sources(session, config.sources)
    finished = Finished()
    executor = make_executor(config, path, finished)
    assert isinstance(executor, LocalExecutor)
    executor.start()
    assert executor.warm.wait(60)  # the fork server's imports are not part of any test's timing
    return config, executor, finished


def run_records(config: Config, source_id: str) -> list[tuple[str, list[str]]]:
    with db.open_session(config.database_url) as session:
        records = session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id))
        return [(run.status, [f"{e.kind}: {e.message}" for e in
                              session.scalars(select(RunError).where(RunError.run_id == run.id))]) for run in records]


def test_runs_due_together_are_crawled_in_one_warm_process_each_with_its_own_run_and_warc(site, tmp_path):
    for n in range(4):
        site.serve(f"/feed{n}.xml", rss(site.base, 2, prefix=f"Agency{n}"), FEED_TYPE, etag=f"\"v{n}\"")
    path = write_config(tmp_path, [feed(site, f"agency-{n}", f"/feed{n}.xml") for n in range(4)],
                        service={"crawl_settings": TEST_SPIDERS})
    config, executor, finished = executor_for(path)
    try:
        for n in range(3):
            executor.submit(f"agency-{n}")
        executor.submit("agency-0")  # due again while queued: one run, not two
        assert {(s.source_id, s.state) for s in executor.states()} == {(f"agency-{n}", "queued") for n in range(3)}
        outcomes = finished.wait(3)
        executor.submit("agency-1")
        executor.submit("agency-3")
        again = {o.source_id: o for o in finished.wait(5)[3:]}["agency-1"]
    finally:
        executor.stop()
    assert [len(batch) for batch in finished.batches] == [3, 2] and executor.batches_started == 2
    assert [o.status for o in outcomes] == ["ok", "ok", "ok"] and again.status == "ok"
    assert again.counters["not_modified"] == 1  # the run kept the validators of its own last run
    notes = [json.loads(line) for line in (tmp_path / "crawled.jsonl").read_text().splitlines()]
    assert len({note["pid"] for note in notes[:3]}) == 1  # one process for the three
    assert notes[3]["pid"] != notes[0]["pid"]  # and a new one, forked again, for the next batch
    assert all(note["cpu_s"] < WARM_CPU_S for note in notes), notes
    assert len({o.run_id for o in outcomes}) == 3
    for outcome in outcomes:
        [warc] = (config.archive_dir / outcome.source_id).glob(f"*-run{outcome.run_id}.warc.gz")
        assert warc.stat().st_size > 0
        assert run_records(config, outcome.source_id)[0] == ("ok", [])
    assert executor.states() == []


def test_crash_fails_only_its_batch_and_the_failed_runs_are_retried_one_by_one(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 2), FEED_TYPE)
    site.routes["/slow.xml"] = Reply(200, rss(site.base, 1, prefix="Slow").encode(), {"Content-Type": FEED_TYPE},
                                     delay_s=3)
    path = write_config(tmp_path, [feed(site, "crasher", spider="crashing"), feed(site, "neighbour"),
                                   feed(site, "elsewhere", "/slow.xml")], service={"crawl_settings": TEST_SPIDERS})
    config, executor, finished = executor_for(path)
    try:
        executor.submit("elsewhere")  # its own batch, running while the other crashes
        while not any(s.state == "running" for s in executor.states()):
            time.sleep(0.05)
        executor.submit("crasher")
        executor.submit("neighbour")
        finished.wait(5)
    finally:
        executor.stop()
    crash = "crashed: crawl process exited with code 70: Fatal Python error: Segmentation fault"
    assert run_records(config, "neighbour") == [("failed", [crash]), ("ok", [])]
    assert run_records(config, "crasher") == [("failed", [crash]), ("failed", [crash])]
    assert run_records(config, "elsewhere") == [("ok", [])]
    sizes = [sorted(o.source_id for o in batch) for batch in finished.batches]
    assert ["crasher", "neighbour"] in sizes and ["neighbour"] in sizes and ["crasher"] in sizes


@pytest.mark.parametrize("sources", [1, 2])
def test_hung_batch_is_stopped_at_the_time_limit_and_recorded_failed(site, tmp_path, sources):
    site.routes["/hang.xml"] = Reply(200, rss(site.base, 1).encode(), {"Content-Type": FEED_TYPE}, delay_s=30)
    site.serve("/feed.xml", rss(site.base, 2), FEED_TYPE)
    listed = [feed(site, "hanging", "/hang.xml"), feed(site, "quick")][:sources]
    path = write_config(tmp_path, listed, crawl={"timeout_s": 60},
                        service={"crawl_time_limit": "2s", "stop_grace": "1s", "crawl_settings": TEST_SPIDERS})
    config, executor, finished = executor_for(path)
    try:
        for source in listed:
            executor.submit(source["id"])
        while not any(s.state == "running" for s in executor.states()):
            time.sleep(0.05)
        began = time.monotonic()
        finished.wait(sources)
        took = time.monotonic() - began
        time.sleep(1.5)  # long enough for a retry to start, were the hanging run retried after failing alone
    finally:
        executor.stop()
    limit = "time_limit: crawl exceeded its time limit of 2s and was stopped"
    assert took < 15  # the 2 s limit, the 1 s grace, and the crawl is gone: not the 30 s its answer takes
    if sources == 1:  # alone already: not retried
        assert run_records(config, "hanging") == [("failed", [limit])]
    else:  # the quick run finished inside the batch and stands; the hanging one is retried alone
        assert run_records(config, "quick") == [("ok", [])]
        assert run_records(config, "hanging")[0] == ("failed", [limit])
