"""United States sources of the default config (issue 4), crawled end to end against a local copy
of the sites made of their example files; plus their bad-input cases (blocked pages, missing or
refused keys, keys kept out of the archive)."""

from __future__ import annotations

import json

from tests.conftest import regwatch
from tests.examples_harness import ROOT, all_examples
from tests.loopback import Reply
from tests.source_site import default_config_copy, mirror_settings, serve_examples

EXAMPLES = ROOT / "tests" / "examples"
FEED_SOURCES = {"copyright-office", "dhs-news", "bis-press", "nist-news", "ftc-press", "hawley-senate",
                "padilla-senate"}
SOURCES = FEED_SOURCES


def expected_urls(source_id: str) -> set[str]:
    """Every item URL the source's crawled examples produce (what a crawl must store)."""
    return {item["url"] for e in all_examples()
            if e.source_id == source_id and not e.case.startswith(("error", "blocked"))
            for item in json.loads(e.expected_path.read_text(encoding="utf-8"))}


def statuses(config) -> dict[str, dict]:
    return {s["id"]: s for s in json.loads(regwatch(config, "sources", "--json").stdout)}


def queued(config) -> list[dict]:
    return [json.loads(line) for line in regwatch(config, "queue", "--json", "--limit", "500").stdout.splitlines()]


def test_default_config_crawls_the_us_agency_and_member_sources(site, tmp_path):
    serve_examples(site, SOURCES)
    config = default_config_copy(tmp_path, SOURCES)
    result = regwatch(config, "crawl", *mirror_settings(site))
    status = statuses(config)
    assert {s: status[s]["status"] for s in SOURCES} == dict.fromkeys(SOURCES, "ok"), result.stdout
    items = queued(config)
    for source_id in SOURCES:
        assert {i["url"] for i in items if i["source"] == source_id} == expected_urls(source_id), source_id
    # Keywords keep only the AI releases of broad agency feeds.
    assert not any("atomic-clock" in i["url"] or "lutnick" in i["url"] for i in items)
    bill = next(i for i in items if i["source"] == "hawley-senate")
    assert bill["identifiers"]["bill_number"] == "US S321" and bill["doc_type"] == "press_release"
    part2 = next(i for i in items if i["url"].endswith("Part-2-Copyrightability-Report.pdf"))
    assert part2["doc_type"] == "report" and part2["published"] == "2025-01-29"


def test_new_part_on_the_copyright_ai_page_becomes_a_new_item(site, tmp_path):
    serve_examples(site, {"copyright-office"})
    config = default_config_copy(tmp_path, {"copyright-office"})
    regwatch(config, "crawl", *mirror_settings(site))
    page = (EXAMPLES / "copyright-office" / "ai-initiative-page.html").read_text(encoding="utf-8")
    part3 = ('<li><a href="/ai/Copyright-and-Artificial-Intelligence-Part-3-Generative-AI-Training-Report.pdf">'
             'Part 3: Generative AI Training</a> (February 6, 2025)</li>\n      <li><a href="/ai/Copyright-and-Art')
    changed = page.replace('<li><a href="/ai/Copyright-and-Art', part3, 1).encode()
    site.routes["/https/www.copyright.gov/ai/"] = Reply(200, changed, {"Content-Type": "text/html"})
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 0
    reports = [i for i in queued(config) if i["doc_type"] == "report"]
    assert sorted(i["title"] for i in reports) == ["Part 1: Digital Replicas", "Part 2: Copyrightability",
                                                   "Part 3: Generative AI Training"]


def test_commerce_bot_challenge_is_blocked_and_stores_nothing(site, tmp_path):
    challenge = (b"<html><head><title>Just a moment...</title></head><body>"
                 b"<div id='cf-chl-widget'>Checking your browser</div></body></html>")
    site.routes["/https/www.commerce.gov/feeds/news"] = Reply(200, challenge, {"Content-Type": "text/html"})
    config = default_config_copy(tmp_path, {"bis-press"})
    regwatch(config, "crawl", *mirror_settings(site))
    assert statuses(config)["bis-press"]["status"] == "blocked"
    assert queued(config) == []
