"""United States sources of the default config (issue 4), crawled end to end against a local copy
of the sites made of their example files; plus their bad-input cases (blocked pages, missing or
refused keys, keys kept out of the archive)."""

from __future__ import annotations

import gzip
import json

from crawler.middlewares import mirror_url
from tests.conftest import regwatch
from tests.examples_harness import NOT_SERVED_PREFIXES, ROOT, all_examples
from tests.loopback import Reply
from tests.source_site import default_config_copy, mirror_settings, serve_examples

EXAMPLES = ROOT / "tests" / "examples"
FEED_SOURCES = {"copyright-office", "dhs-news", "bis-press", "nist-news", "ftc-press", "hawley-senate",
                "padilla-senate"}
KEYED_SOURCES = {"congress-bills", "legiscan", "courtlistener"}
SOURCES = FEED_SOURCES
KEYS = {"CONGRESS_API_KEY": "test-congress-key", "LEGISCAN_API_KEY": "test-legiscan-key",
        "COURTLISTENER_TOKEN": "test-courtlistener-token"}
NO_KEYS = dict.fromkeys(KEYS, "")


# Document pages of feed sources, which a crawl of their feeds does not fetch (the generic reader's CMS cases).
NOT_CRAWLED = {("ftc-press", "drupal-press-release"), ("hawley-senate", "wordpress-divi-press-release")}


def expected_urls(source_id: str) -> set[str]:
    """Every item URL the source's crawled examples produce (what a crawl must store)."""
    return {item["url"] for e in all_examples()
            if e.source_id == source_id and not e.case.startswith(NOT_SERVED_PREFIXES)
            and (e.source_id, e.case) not in NOT_CRAWLED
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


# --- keyed APIs ----------------------------------------------------------------------------------


def test_keyed_apis_crawl_with_keys_from_the_environment(site, tmp_path):
    serve_examples(site, KEYED_SOURCES)
    config = default_config_copy(tmp_path, KEYED_SOURCES)
    result = regwatch(config, "crawl", *mirror_settings(site), env=KEYS)
    status = statuses(config)
    assert {s: status[s]["status"] for s in KEYED_SOURCES} == dict.fromkeys(KEYED_SOURCES, "ok"), result.stdout
    items = queued(config)
    for source_id in KEYED_SOURCES:
        assert {i["url"] for i in items if i["source"] == source_id} == expected_urls(source_id), source_id
    virginia = next(i for i in items if i["identifiers"].get("bill_number") == "VA HB2094")
    assert virginia["jurisdiction"] == "US-VA" and virginia["summary"].startswith("Status: Engrossed.")
    # The congress.gov key travels in a header, the LegiScan key in the query: neither is archived.
    congress_request = next(r for r in site.requests if "/api.congress.gov/" in r.path)
    assert congress_request.headers["x-api-key"] == "test-congress-key" and "key" not in congress_request.path
    archived = b"".join(gzip.open(path).read() for path in (tmp_path / "regwatch-data" / "archive").rglob("*.warc.gz"))
    assert b"api.legiscan.com" in archived and b"X-Api-Key: REDACTED" in archived
    for secret in KEYS.values():
        assert secret.encode() not in archived
        assert secret not in result.stdout + result.stderr


def test_keyed_apis_without_keys_are_not_configured(site, tmp_path):
    serve_examples(site, KEYED_SOURCES)
    config = default_config_copy(tmp_path, KEYED_SOURCES)
    regwatch(config, "crawl", *mirror_settings(site), env=NO_KEYS)
    status = statuses(config)
    assert {s: status[s]["status"] for s in KEYED_SOURCES} == dict.fromkeys(KEYED_SOURCES, "not_configured")
    assert "LEGISCAN_API_KEY" in status["legiscan"]["last_error"]["message"]
    assert "COURTLISTENER_TOKEN" in status["courtlistener"]["last_error"]["message"]
    # CourtListener's search is open to anonymous users; nothing else is asked without a key.
    assert {r.path.split("?")[0] for r in site.requests} == {"/https/www.courtlistener.com/api/rest/v4/search/"}
    assert not any("authorization" in r.headers for r in site.requests)
    assert {i["source"] for i in queued(config)} == {"courtlistener"}


def test_refused_keys_are_unauthorized_with_the_key_redacted(site, tmp_path):
    congress = (EXAMPLES / "congress-bills" / "bills-updated-since-2025-01-24.json.url").read_text().strip()
    refused = (EXAMPLES / "congress-bills" / "error-invalid-key.json").read_bytes()
    site.routes[mirror_url("", congress)] = Reply(403, refused, {"Content-Type": "application/json"})
    search = (EXAMPLES / "legiscan" / "getsearch-ai-page1.json.url").read_text().strip()
    site.routes[mirror_url("", search)] = Reply(
        200, (EXAMPLES / "legiscan" / "error-invalid-key.json").read_bytes(), {"Content-Type": "application/json"})
    token_refused = Reply(401, (EXAMPLES / "courtlistener" / "error-invalid-token.json").read_bytes(),
                          {"Content-Type": "application/json", "WWW-Authenticate": 'Token'})
    site.fallback = lambda seen: token_refused  # every CourtListener URL: the token is refused
    config = default_config_copy(tmp_path, KEYED_SOURCES)
    regwatch(config, "crawl", *mirror_settings(site), env=KEYS)
    status = statuses(config)
    assert {s: status[s]["last_error"]["kind"] for s in KEYED_SOURCES} == dict.fromkeys(KEYED_SOURCES, "unauthorized")
    assert "API_KEY_INVALID" in status["congress-bills"]["last_error"]["message"]
    assert "test-legiscan-key" not in status["legiscan"]["last_error"]["url"]
    assert queued(config) == []


# --- CourtListener: a followed docket's case --------------------------------------------------------

DOCKET_OBJECT = "/https/www.courtlistener.com/api/rest/v4/dockets/66732129/"
CASE_PAGE = "https://www.courtlistener.com/docket/66732129/andersen-v-stability-ai-ltd/"  # options.dockets
DOCKET_ENTRIES = "/https/www.courtlistener.com/api/rest/v4/docket-entries/?docket=66732129&order_by=-date_filed"


def test_followed_docket_case_is_an_item_fetched_until_stored(site, tmp_path):
    serve_examples(site, {"courtlistener"})
    config = default_config_copy(tmp_path, {"courtlistener"})
    regwatch(config, "crawl", *mirror_settings(site), env=KEYS)
    case = next(i for i in queued(config) if i["url"] == CASE_PAGE)
    assert (case["title"], case["published"], case["doc_type"]) == ("Andersen v. Stability AI Ltd.", "2023-01-13",
                                                                    "court_filing")
    assert case["identifiers"] == {"case_number": "3:23-cv-00201", "court_id": "cand", "docket_id": "66732129"}
    assert "Assigned to: William H. Orrick" in case["summary"]
    assert len(site.hits(DOCKET_OBJECT)) == 1
    # Stored: later runs read only the docket's entries (the free tier is 5 requests a minute).
    regwatch(config, "crawl", *mirror_settings(site), env=KEYS)
    assert len(site.hits(DOCKET_OBJECT)) == 1 and len(site.hits(DOCKET_ENTRIES)) == 2
    assert statuses(config)["courtlistener"]["status"] == "ok"


def test_docket_refused_to_the_token_is_unauthorized_naming_the_url(site, tmp_path):
    serve_examples(site, {"courtlistener"})
    denied = b'{"detail":"You do not have permission to perform this action."}'
    site.routes[DOCKET_OBJECT] = Reply(403, denied, {"Content-Type": "application/json"})
    config = default_config_copy(tmp_path, {"courtlistener"})
    regwatch(config, "crawl", *mirror_settings(site), env=KEYS)
    error = statuses(config)["courtlistener"]["last_error"]
    assert error["kind"] == "unauthorized" and error["url"] == "https://www.courtlistener.com/api/rest/v4/dockets/66732129/"
    assert "token may not read this endpoint (You do not have permission" in error["message"]
    assert CASE_PAGE not in {i["url"] for i in queued(config)}
