"""The Federal Register and White House sources of the default config, crawled end to end
against a local copy of the sites made of their example files."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

from crawler.middlewares import mirror_url
from crawler.storage import db
from crawler.storage.completeness import latest_day_counts
from tests.conftest import regwatch
from tests.examples_harness import ROOT, all_examples
from tests.loopback import Reply
from tests.source_site import default_config_copy, mirror_settings, serve_examples

EXAMPLES = ROOT / "tests" / "examples"

SOURCES = {"federal-register", "whitehouse"}


def test_default_config_crawls_federal_register_and_white_house(site, tmp_path):
    serve_examples(site, SOURCES)
    config = default_config_copy(tmp_path, SOURCES)
    result = regwatch(config, "crawl", *mirror_settings(site))
    assert result.returncode == 0, result.stdout + result.stderr
    items = [json.loads(line) for line in regwatch(config, "queue", "--json").stdout.splitlines()]
    sightings = items + [linked for i in items for linked in i["linked"]]
    by_source = {s: {i["url"] for i in sightings if i["source"] == s} for s in SOURCES}
    expected_fr = {item["url"] for e in all_examples() if e.source_id == "federal-register"
                   for item in json.loads(e.expected_path.read_text())}
    assert by_source["federal-register"] == expected_fr
    # Four presidential actions and fact sheets, each read from its article page.
    assert len(by_source["whitehouse"]) == 4
    title = "Removing Barriers to American Leadership in Artificial Intelligence"
    order = next(i for i in items if i["title"] == title)
    assert order["doc_type"] == "executive_order" and order["published"] == "2025-01-23"
    assert order["source"] == "whitehouse"
    # Its Federal Register printing is the same item, not a second one in the queue.
    [printing] = order["linked"]
    assert printing["source"] == "federal-register" and printing["identifiers"]["executive_order_number"] == "14179"
    assert len(items) == len(sightings) - 1


def test_second_crawl_fetches_no_article_page_again(site, tmp_path):
    serve_examples(site, SOURCES)
    config = default_config_copy(tmp_path, {"whitehouse"})
    regwatch(config, "crawl", *mirror_settings(site))
    article = "/https/www.whitehouse.gov/presidential-actions/2025/01/hiring-freeze/"
    assert len(site.hits(article)) == 1
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 0
    assert len(site.hits(article)) == 1


# --- Federal Register: per-day completeness and the API's rate limit ---------------------------

FR_EXAMPLES = EXAMPLES / "federal-register"


def _day_counts(folder: Path) -> dict:
    session = db.open_session(f"sqlite:///{folder / 'regwatch-data' / 'regwatch.db'}")
    try:
        return latest_day_counts(session, "federal-register")
    finally:
        session.close()


def test_each_crawled_day_is_reconciled_with_the_api_daily_counts(site, tmp_path):
    serve_examples(site, {"federal-register"})
    config = default_config_copy(tmp_path, {"federal-register"})
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 0
    counts = _day_counts(tmp_path)
    # Every day from the lookback start (14 days before the examples' day) to that day.
    assert sorted(counts) == [date(2025, 1, 24) + timedelta(days=n) for n in range(15)]
    assert all(c.found == c.expected and c.completeness == 1.0 for c in counts.values())
    assert counts[date(2025, 1, 31)].expected == 1 and counts[date(2025, 2, 1)].expected == 0


def test_day_with_fewer_documents_than_the_api_counts_is_a_source_error(site, tmp_path):
    serve_examples(site, {"federal-register"})
    facets_url = (FR_EXAMPLES / "facets-daily-2025-01-31.json.url").read_text().strip()
    counts = json.loads((FR_EXAMPLES / "facets-daily-2025-01-31.json").read_text())
    counts["2025-02-04"]["count"] = 2  # the API knows of one more document than its pages list
    site.routes[mirror_url("", facets_url)] = Reply(200, json.dumps(counts).encode(),
                                                    {"Content-Type": "application/json"})
    config = default_config_copy(tmp_path, {"federal-register"})
    result = regwatch(config, "crawl", *mirror_settings(site))
    assert result.returncode == 1
    [source] = json.loads(regwatch(config, "sources", "--json").stdout)
    assert source["status"] == "failed" and source["last_error"]["kind"] == "incomplete"
    assert "2025-02-04" in source["last_error"]["message"] and "50%" in source["last_error"]["message"]
    day = _day_counts(tmp_path)[date(2025, 2, 4)]
    assert (day.expected, day.found) == (2, 1)
    assert source["items"] == 5  # what was found is still stored


def test_federal_register_requests_stay_under_five_per_second(site, tmp_path):
    moments: list[float] = []

    def empty_day(seen):
        moments.append(time.monotonic())
        body = b"{}" if "/facets/" in seen.path else b'{"count":0,"total_pages":0,"results":[]}'
        return Reply(200, body, {"Content-Type": "application/json"})

    site.fallback = empty_day
    config = default_config_copy(tmp_path, {"federal-register"})
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    fr = next(s for s in shipped["sources"] if s["id"] == "federal-register")
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["sources"][0].update(crawl=fr["crawl"], options={"slice_days": 1})  # the shipped delay
    settings["crawl"]["lookback_days"] = 5
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 0
    assert len(moments) == 12  # six one-day slices: daily counts, then documents
    busiest = max(sum(1 for m in moments if start <= m < start + 1.0) for start in moments)
    assert busiest <= 5
