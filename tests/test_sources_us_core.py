"""The Federal Register and White House sources of the default config, crawled end to end
against a local copy of the sites made of their example files."""

from __future__ import annotations

import json
import re
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
    # A document's HTML page (read by `regwatch parse` and add by URL) is not what the crawl asks the API for.
    expected_fr = {item["url"] for e in all_examples() if e.source_id == "federal-register"
                   and e.case != "html-document-page" for item in json.loads(e.expected_path.read_text())}
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
    [source] = json.loads(regwatch(config, "sources", "--json").stdout)
    assert source["completeness"] == {"days": 15, "complete": 15, "gaps": []}


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
    assert source["completeness"]["gaps"] == [{"day": "2025-02-04", "expected": 2, "found": 1}]


def test_federal_register_sources_together_stay_under_five_requests_per_second(site, tmp_path):
    moments: list[float] = []

    def empty_day(seen):
        moments.append(time.monotonic())
        body = b"{}" if "/facets/" in seen.path else b'{"count":0,"total_pages":0,"results":[]}'
        return Reply(200, body, {"Content-Type": "application/json"})

    site.fallback = empty_day
    both = {"federal-register", "federal-register-inspection"}
    config = default_config_copy(tmp_path, both)
    shipped = {s["id"]: s for s in yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["sources"]}
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    for source in settings["sources"]:
        source["crawl"] = shipped[source["id"]]["crawl"]  # the shipped politeness, not the tests' zero delay
    settings["sources"][0]["options"] = {"slice_days": 1}
    settings["crawl"]["lookback_days"] = 5
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 0
    # Six one-day slices (daily counts, then documents) and the desk with its last three issues,
    # all at once in one process against the one API.
    assert len(moments) == 16
    busiest = max(sum(1 for m in moments if start <= m < start + 1.0) for start in moments)
    assert busiest <= 5


# --- Federal Register public inspection desk ------------------------------------------------------

PI_EXAMPLES = EXAMPLES / "federal-register-inspection"
CURRENT_DESK = (PI_EXAMPLES / "current.json.url").read_text().strip()
NTIA_TITLE = ("Dual Use Foundation Artificial Intelligence Models With Widely Available Model Weights; "
              "Request for Comment")


def _queue(config) -> list[dict]:
    return [json.loads(line) for line in regwatch(config, "queue", "--json").stdout.splitlines()]


def _desk_before_withdrawal() -> bytes:
    """The desk as it was when the NTIA filing was still on it (the example shows it withdrawn)."""
    desk = json.loads((PI_EXAMPLES / "current.json").read_text(encoding="utf-8"))
    filing = next(r for r in desk["results"] if r["document_number"] == "2025-02281")
    filing.update(title=NTIA_TITLE + " ", subject_1=NTIA_TITLE, toc_doc=NTIA_TITLE, editorial_note=None,
                  filed_at="2025-02-06T08:45:00.000-05:00", publication_date="2025-02-07", num_pages=4,
                  pdf_url="https://public-inspection.federalregister.gov/2025-02281.pdf?1738763100",
                  html_url="https://www.federalregister.gov/public-inspection/2025-02281/dual-use-foundation-"
                           "artificial-intelligence-models-with-widely-available-model-weights-request-for")
    return json.dumps(desk).encode()


def test_default_config_crawls_the_public_inspection_desk(site, tmp_path):
    serve_examples(site, {"federal-register-inspection"})
    config = default_config_copy(tmp_path, {"federal-register-inspection"})
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 0
    items = _queue(config)
    # On topic from the whole desk and from the topic search of the last two issues; the fishery
    # rule and the Iran notice are off topic, the withdrawn filing was never seen before.
    assert sorted(i["identifiers"]["fr_document_number"] for i in items) == ["2025-02305", "2025-02345"]
    desk_requests = [r.path for r in site.requests if "public-inspection-documents" in r.path]
    assert len(desk_requests) == 4 and sum("available_on" in p for p in desk_requests) == 3


def test_withdrawn_inspection_document_updates_item(site, tmp_path):
    serve_examples(site, {"federal-register-inspection"})
    withdrawn_desk = site.routes[mirror_url("", CURRENT_DESK)]
    site.routes[mirror_url("", CURRENT_DESK)] = Reply(200, _desk_before_withdrawal(),
                                                      {"Content-Type": "application/json"})
    config = default_config_copy(tmp_path, {"federal-register-inspection"})
    regwatch(config, "crawl", *mirror_settings(site))
    [filed] = [i for i in _queue(config) if i["identifiers"]["fr_document_number"] == "2025-02281"]
    assert filed["title"] == NTIA_TITLE and filed["published"] == "2025-02-06"

    site.routes[mirror_url("", CURRENT_DESK)] = withdrawn_desk
    second = regwatch(config, "crawl", *mirror_settings(site))
    assert second.returncode == 0, second.stdout + second.stderr
    items = _queue(config)
    assert len(items) == 3  # a state change of the stored item, not a new item
    [withdrawn] = [i for i in items if i["identifiers"]["fr_document_number"] == "2025-02281"]
    assert withdrawn["id"] == filed["id"] and withdrawn["updated"] is True
    assert withdrawn["title"] == f"Withdrawn: {NTIA_TITLE}" and withdrawn["published"] == "2025-02-06"
    assert "requesting withdrawal" in withdrawn["summary"] and withdrawn["url"] == filed["url"]
    # Seen withdrawn again: nothing changes.
    regwatch(config, "crawl", *mirror_settings(site))
    shown = regwatch(config, "show", str(filed["id"])).stdout
    assert "version 2" in shown and "version 3" not in shown


def test_published_document_is_the_same_item_as_its_inspection_filing(site, tmp_path):
    serve_examples(site, {"federal-register-inspection", "federal-register"})
    config = default_config_copy(tmp_path, {"federal-register-inspection", "federal-register"})
    regwatch(config, "crawl", "federal-register-inspection", *mirror_settings(site))
    assert regwatch(config, "crawl", "federal-register", *mirror_settings(site)).returncode == 0
    items = _queue(config)
    [rfi] = [i for i in items if i["identifiers"].get("fr_document_number") == "2025-02305"]
    assert rfi["source"] == "federal-register-inspection" and rfi["updated"] is True
    [printed] = rfi["linked"]
    assert printed["source"] == "federal-register" and printed["published"] == "2025-02-06"
    assert printed["url"].startswith("https://www.federalregister.gov/documents/2025/02/06/2025-02305/")
    shown = regwatch(config, "show", str(rfi["id"])).stdout
    assert re.search(rf"also in federal-register\W+item {printed['id']}:", shown)
