"""Crawls of many sources: sources sharing a Scrapy crawler, and crawls dealt to several processes."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from crawler.config import Config
from crawler.parallel import plan, process_count
from tests.conftest import regwatch, write_config
from tests.feeds import rss
from tests.loopback import Reply

FEED_TYPE = "application/rss+xml"


def feed_sources(site, count: int, delay_s: float = 0.0, **extra) -> list[dict]:
    sources = []
    for n in range(count):
        path = f"/feed{n}.xml"
        site.routes[path] = Reply(200, rss(site.base, 3, prefix=f"Feed{n}").encode(), {"Content-Type": FEED_TYPE},
                                  delay_s=delay_s, etag=f'"v{n}"')
        sources.append({"id": f"feed-{n}", "spider": "feed", "urls": [site.url(path)], "jurisdiction": "US", **extra})
    return sources


def outcomes(result) -> dict[str, dict]:
    return {row["id"]: row for row in json.loads(result.stdout)}


def custom_spiders(folder: Path, code: str) -> dict[str, str]:
    """A spider module outside the project, and the environment that lets a crawl load it."""
    package = folder / "custom_spiders"
    package.mkdir()
    (package / "__init__.py").write_text(code)
    return {"PYTHONPATH": f"{folder}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def test_plan_keeps_a_polite_host_whole_and_deals_out_a_host_without_delay():
    polite = Config.model_validate({"crawl": {"delay_s": 1.0}, "sources": [
        {"id": f"a-{n}", "spider": "feed", "urls": [f"https://a.example/{n}.xml"]} for n in range(6)
    ] + [{"id": "b-0", "spider": "feed", "urls": ["https://b.example/feed.xml"]}]})
    shares = plan(polite, polite.sources, 2)
    assert sorted(len(share.sources) for share in shares) == [1, 6]  # a.example stays in one process
    assert all(share.split_ways == 1 for share in shares)

    eager = Config.model_validate({"crawl": {"delay_s": 0, "concurrency_per_domain": 8}, "sources": [
        {"id": f"a-{n}", "spider": "feed", "urls": [f"https://a.example/{n}.xml"]} for n in range(6)
    ] + [{"id": "slow", "spider": "feed", "urls": ["https://a.example/slow.xml"], "crawl": {"delay_s": 2}}]})
    shares = plan(eager, eager.sources[:6], 2)
    assert [len(share.sources) for share in shares] == [3, 3] and [s.split_ways for s in shares] == [2, 2]
    # A source with its own crawl settings keeps its host in one process.
    assert [len(share.sources) for share in plan(eager, eager.sources, 2)] == [7]


def test_process_count_follows_config_else_cpus_and_crawl_size():
    sources = Config.model_validate({"sources": [
        {"id": f"s-{n}", "spider": "feed", "urls": [f"https://{n}.example/feed.xml"]} for n in range(40)
    ]}).sources
    assert process_count(Config(), sources[:3]) == 1  # too few to be worth a fork
    assert process_count(Config(), sources) == min(os.cpu_count() or 1, 4)
    assert process_count(Config.model_validate({"crawl": {"processes": 3}}), sources[:2]) == 2


def test_crawl_in_two_processes_stores_every_item_once_and_reports_every_source(site, tmp_path):
    site.serve("/broken.xml", "not found", "text/plain", status=404)
    sources = feed_sources(site, 6) + [{"id": "broken", "spider": "feed", "urls": [site.url("/broken.xml")]}]
    config = write_config(tmp_path, sources, crawl={"processes": 2})
    result = regwatch(config, "crawl")
    assert result.returncode == 1, result.stderr  # one source failed
    assert all(f"feed-{n}" in result.stdout for n in range(6)) and "broken" in result.stdout
    status = outcomes(regwatch(config, "sources", "--json"))
    assert {sid: row["status"] for sid, row in status.items()} == {**{f"feed-{n}": "ok" for n in range(6)},
                                                                    "broken": "failed"}
    assert "/broken.xml" in status["broken"]["last_error"]["url"]
    database = tmp_path / "regwatch-data" / "regwatch.db"
    with sqlite3.connect(database) as connection:
        assert connection.execute("select count(*), count(distinct url) from documents").fetchone() == (18, 18)
    regwatch(config, "crawl")
    with sqlite3.connect(database) as connection:
        second = connection.execute("select sum(not_modified), sum(items_new) from crawl_runs where id > 7").fetchone()
    assert second == (6, 0)


def test_sources_of_one_host_stay_within_its_concurrency_across_processes(site, tmp_path):
    config = write_config(tmp_path, feed_sources(site, 8, delay_s=0.3),
                          crawl={"processes": 2, "concurrency_per_domain": 2})
    assert regwatch(config, "crawl").returncode == 0
    assert site.most_in_flight <= 2
    assert len(site.requests) == 8


def test_sources_sharing_a_crawler_keep_one_politeness_slot_per_host(site, tmp_path):
    config = write_config(tmp_path, feed_sources(site, 6, delay_s=0.3),
                          crawl={"processes": 1, "concurrency_per_domain": 1})
    assert regwatch(config, "crawl").returncode == 0
    assert site.most_in_flight == 1


def test_a_finished_source_is_stored_and_closed_while_a_slow_one_still_fetches(site, tmp_path):
    sources = feed_sources(site, 1)
    site.routes["/slow.xml"] = Reply(200, rss(site.base, 1, prefix="Slow").encode(), {"Content-Type": FEED_TYPE},
                                     delay_s=3)
    sources.append({"id": "slow", "spider": "feed", "urls": [site.url("/slow.xml")]})
    config = write_config(tmp_path, sources, crawl={"processes": 1})
    assert regwatch(config, "crawl").returncode == 0
    with sqlite3.connect(tmp_path / "regwatch-data" / "regwatch.db") as connection:
        finished = dict(connection.execute("select source_id, finished_at from crawl_runs").fetchall())
        stored = dict(connection.execute("select source_id, max(first_seen_at) from documents group by source_id"))
    assert finished["feed-0"] < stored["slow"] and stored["feed-0"] < stored["slow"]


def test_a_source_whose_start_fails_does_not_stop_the_others_in_its_crawler(site, tmp_path):
    env = custom_spiders(tmp_path, (
        "from spiders.feed import GenericFeedSpider\n\n\n"
        "class BrokenStart(GenericFeedSpider):\n"
        "    name = 'broken_start'\n\n"
        "    def first_requests(self):\n"
        "        raise RuntimeError('no start')\n"
        "        yield\n"))
    sources = feed_sources(site, 2) + [{"id": "odd", "spider": "broken_start", "urls": [site.url("/feed0.xml")]}]
    config = write_config(tmp_path, sources, crawl={"processes": 1})
    result = regwatch(config, "crawl", "-s", "SPIDER_MODULES=spiders,custom_spiders", env=env)
    assert result.returncode == 1
    status = outcomes(regwatch(config, "sources", "--json"))
    assert status["feed-0"]["status"] == status["feed-1"]["status"] == "ok"
    assert status["odd"]["status"] == "failed"
    assert "starting the crawl failed: RuntimeError: no start" in status["odd"]["last_error"]["message"]


def test_a_crawl_process_that_dies_leaves_its_sources_failed_and_the_rest_stored(site, tmp_path):
    env = custom_spiders(tmp_path, (
        "import os\n"
        "from spiders.feed import GenericFeedSpider\n\n\n"
        "class Crashing(GenericFeedSpider):\n"
        "    name = 'crashing'\n\n"
        "    def parse_feed(self, response):\n"
        "        os._exit(70)\n"))
    sources = feed_sources(site, 4, delay_s=0.5)
    sources.append({"id": "crasher", "spider": "crashing", "urls": [site.url("/feed0.xml")]})
    config = write_config(tmp_path, sources, crawl={"processes": 2})
    result = regwatch(config, "crawl", "-s", "SPIDER_MODULES=spiders,custom_spiders", env=env)
    assert result.returncode == 1
    status = outcomes(regwatch(config, "sources", "--json"))
    assert status["crasher"]["status"] == "failed"
    assert "crawl process exited with code 70" in status["crasher"]["last_error"]["message"]
    # Sources of the other process finished and were stored; none is left 'running'.
    assert sum(row["status"] == "ok" for row in status.values()) >= 2
    assert all(row["status"] in ("ok", "failed") for row in status.values())
    with sqlite3.connect(tmp_path / "regwatch-data" / "regwatch.db") as connection:
        assert connection.execute("select count(*) from crawl_runs where finished_at is null").fetchone() == (0,)
