"""Command-line contracts other tools rely on: sources --json, queue --json/--limit, exit codes."""

from __future__ import annotations

import json

from tests.conftest import regwatch, write_config
from tests.feeds import rss


def test_source_missing_what_it_needs_is_not_configured_and_crawl_still_succeeds(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 2), "application/rss+xml")
    sources = [
        {"id": "federal-register", "spider": "federal_register", "urls": {"documents": site.url("/api")}},
        {"id": "agency-news", "spider": "feed", "urls": [site.url("/feed.xml")]},
    ]
    config = write_config(tmp_path, sources)
    result = regwatch(config, "crawl")
    assert result.returncode == 0, result.stdout + result.stderr
    listed = {s["id"]: s for s in json.loads(regwatch(config, "sources", "--json").stdout)}
    assert listed["federal-register"]["status"] == "not_configured"
    assert "query" in listed["federal-register"]["last_error"]["message"]
    assert listed["agency-news"]["status"] == "ok" and listed["agency-news"]["items"] == 2


def test_sources_json_lists_never_run_sources(tmp_path):
    config = write_config(tmp_path, [{"id": "agency-news", "spider": "feed", "urls": ["http://127.0.0.1:9/feed"]}])
    [entry] = json.loads(regwatch(config, "sources", "--json").stdout)
    health = entry.pop("health")
    assert entry == {"id": "agency-news", "enabled": True, "authority": "agency-news", "status": "never_run",
                     "last_run": None, "last_error": None, "warnings": [], "items": 0}
    assert health["state"] == "never_run" and health["consecutive_failures"] == 0


def test_queue_json_prints_every_item_unless_limited(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 60), "application/rss+xml")
    config = write_config(tmp_path, [{"id": "agency-news", "spider": "feed", "urls": [site.url("/feed.xml")]}])
    regwatch(config, "crawl")
    assert len(regwatch(config, "queue", "--json").stdout.splitlines()) == 60
    limited = [json.loads(line) for line in regwatch(config, "queue", "--json", "--limit", "5").stdout.splitlines()]
    assert len(limited) == 5
    assert [item["published"] for item in limited] == sorted((i["published"] for i in limited), reverse=True)
    assert {"id", "status", "updated", "source", "url", "relevance"} <= set(limited[0])
    table = regwatch(config, "queue")
    assert "Queue (50 items)" in table.stdout  # the table shows a screenful by default


def test_unknown_spider_is_a_failed_source_naming_the_spider(tmp_path):
    config = write_config(tmp_path, [{"id": "typo", "spider": "fead", "urls": ["http://127.0.0.1:9/feed"]}])
    result = regwatch(config, "crawl")
    assert result.returncode == 1
    [entry] = json.loads(regwatch(config, "sources", "--json").stdout)
    assert entry["status"] == "failed" and "unknown spider 'fead'" in entry["last_error"]["message"]


def test_parse_names_source_and_url_on_bad_input(tmp_path):
    body = tmp_path / "broken.json"
    body.write_text("{not json", encoding="utf-8")
    from tests.examples_harness import ROOT

    result = regwatch(ROOT / "config.yaml", "parse", "federal-register", str(body), "--url",
                      "https://www.federalregister.gov/api/v1/documents.json?x=1")
    assert result.returncode == 1
    assert "unparseable" in result.stderr and "federal-register" in result.stderr
    assert "https://www.federalregister.gov/api/v1/documents.json?x=1" in result.stderr


def test_since_ignores_items_published_before_the_date(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 12), "application/rss+xml")  # every 6 h back from Jan 15
    config = write_config(tmp_path, [{"id": "agency-news", "spider": "feed", "urls": [site.url("/feed.xml")],
                                      "jurisdiction": "US"}])
    assert regwatch(config, "crawl", "--since", "2025-01-14").returncode == 0
    dates = [json.loads(line)["published"] for line in regwatch(config, "queue", "--json").stdout.splitlines()]
    assert dates and min(dates) == "2025-01-14" and len(dates) < 12


def test_init_creates_the_schema_in_a_new_data_folder(tmp_path):
    config = write_config(tmp_path, [])
    result = regwatch(config, "init")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "regwatch-data" / "regwatch.db").exists()


def test_database_url_from_the_environment_overrides_the_config(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 3), "application/rss+xml")
    config = write_config(tmp_path, [{"id": "agency-news", "spider": "feed", "urls": [site.url("/feed.xml")]}])
    elsewhere = f"sqlite:///{tmp_path / 'other.db'}"
    regwatch(config, "crawl", env={"REGWATCH_DATABASE_URL": elsewhere})
    assert (tmp_path / "other.db").exists() and not (tmp_path / "regwatch-data" / "regwatch.db").exists()
    assert len(regwatch(config, "queue", "--json", env={"REGWATCH_DATABASE_URL": elsewhere}).stdout.splitlines()) == 3
