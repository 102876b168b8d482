"""New Jersey's and Pennsylvania's legislatures as direct sources, crawled end to end against a
local copy of their sites made of the example files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from scrapy import Request
from scrapy.http import TextResponse

from crawler.config import SourceConfig
from crawler.storage import db, documents
from spiders.nj_legislature import NewJerseyLegislatureSpider
from tests.conftest import regwatch
from tests.examples_harness import EXAMPLES, default_config
from tests.loopback import Reply
from tests.source_site import default_config_copy, mirror_settings, serve_examples

SOURCES = {"nj-legislature", "pa-legislature"}


def _queue(config) -> list[dict]:
    """The queue with each item's dates and text (what `regwatch parse --full` adds)."""
    session = db.open_session(f"sqlite:///{config.parent / 'regwatch-data' / 'regwatch.db'}")
    try:
        return [documents.queue_entry(d, t, full=True) for d, t in documents.list_queue(session)]
    finally:
        session.close()


def test_default_config_crawls_the_new_jersey_and_pennsylvania_legislatures(site, tmp_path):
    serve_examples(site, SOURCES)
    config = default_config_copy(tmp_path, SOURCES)
    result = regwatch(config, "crawl", *mirror_settings(site))
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = {s["id"]: s["status"] for s in json.loads(regwatch(config, "sources", "--json").stdout)}
    assert statuses == dict.fromkeys(SOURCES, "ok")
    items = {i["identifiers"]["bill_number"]: i for i in _queue(config)}
    assert set(items) == {"NJ S3742", "PA HB95", "PA SB1050"}

    nj = items["NJ S3742"]
    assert nj["url"] == "https://www.njleg.state.nj.us/bill-search/2024/S3742"
    assert nj["title"] == "Regulates use of artificial intelligence enabled hiring tools."
    assert nj["published"] == "2025-01-27" and nj["jurisdiction"] == "US-NJ"  # the last action, not shifted to Jan 26
    assert "Last action (2025-01-27): Reported from Senate Committee, 2nd Reading" in nj["summary"]
    assert "Example, Jane (primary); Zwicker, Andrew" in nj["summary"]
    # The current bill text, not the committee statement listed after it, decoded from windows-1252.
    assert "Current text: Introduced." in nj["summary"]
    assert "\u201cAutomated employment decision tool\u201d" in nj["text"] and "\u00a7 1 of this act" in nj["text"]
    assert "\u00e2\u20ac" not in nj["text"]  # no mojibake

    hb95, sb1050 = items["PA HB95"], items["PA SB1050"]
    assert hb95["title"].endswith("political communications; and imposing penalties.")
    assert "Prime sponsor: Alex Example. Co-sponsors: Sam Sample; Robin Placeholder." in hb95["summary"]
    assert hb95["published"] == "2025-01-21" and hb95["doc_type"] == "bill"
    # Followed from the config although the search did not list it; now law.
    assert sb1050["doc_type"] == "law" and sb1050["identifiers"]["public_law"] == "Act 2 of 2025"
    assert sb1050["dates"]["signed"] == "2025-02-04"


def test_bill_pages_are_read_again_on_every_run(site, tmp_path):
    serve_examples(site, {"pa-legislature"})
    config = default_config_copy(tmp_path, {"pa-legislature"})
    regwatch(config, "crawl", *mirror_settings(site))
    regwatch(config, "crawl", *mirror_settings(site))
    assert len(site.hits("/https/www.palegis.us/legislation/bills/2025/hb95")) == 2


def _all_bills(options: dict) -> list[str]:
    """The bills whose history the New Jersey spider asks for after reading the session's list."""
    shipped = default_config().source("nj-legislature")
    source = SourceConfig(**{**shipped.model_dump(), "options": options})
    body = (EXAMPLES / "nj-legislature" / "all-bills-2024.json").read_bytes()
    url = "https://www.njleg.state.nj.us/api/billSearch/allBills/2024"
    response = TextResponse(url, body=body, encoding="utf-8",
                            request=Request(url, meta={"fetched_at": datetime.now(UTC)}))
    return [r.url.rsplit("/", 2)[-2] for r in NewJerseyLegislatureSpider(source=source).parse_response(response)]


def test_new_jersey_bills_are_chosen_by_synopsis_or_by_the_followed_list():
    assert _all_bills({}) == ["S3742"]  # the only synopsis naming AI
    assert _all_bills({"bills": ["A101"]}) == ["A101", "S3742"]
    assert _all_bills({"terms": ["defibrillators"]}) == ["A101"]


def _statuses(config) -> dict[str, dict]:
    return {s["id"]: s for s in json.loads(regwatch(config, "sources", "--json").stdout)}


def test_new_jersey_api_answering_a_web_page_is_unparseable_naming_the_url(site, tmp_path):
    serve_examples(site, {"nj-legislature"})
    history = "/https/www.njleg.state.nj.us/api/billDetail/billHistory/S3742/2024"
    site.routes[history] = Reply(200, b"<html><body><h1>Service Unavailable</h1></body></html>",
                                 {"Content-Type": "text/html"})
    config = default_config_copy(tmp_path, {"nj-legislature"})
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 1
    source = _statuses(config)["nj-legislature"]
    assert source["status"] == "failed" and source["last_error"]["kind"] == "unparseable"
    assert source["last_error"]["url"] == "https://www.njleg.state.nj.us/api/billDetail/billHistory/S3742/2024"
    assert source["items"] == 0


def test_pennsylvania_bot_challenge_is_blocked_and_stores_nothing(site, tmp_path):
    challenge = (b"<html><head><title>Just a moment...</title></head><body>"
                 b"<div id='cf-chl-widget'>Checking your browser</div></body></html>")
    site.fallback = lambda seen: Reply(200, challenge, {"Content-Type": "text/html"})
    config = default_config_copy(tmp_path, {"pa-legislature"})
    regwatch(config, "crawl", *mirror_settings(site))
    source = _statuses(config)["pa-legislature"]
    assert source["status"] == "blocked" and source["items"] == 0
