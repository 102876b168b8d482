"""The hostile-input suite, in one place: every kind of broken or malicious answer a watched site
(or an attacker in its place) can give, served on loopback to one real `regwatch crawl` of many
sources at once. Each case must end as a recorded error (or warning) naming its source and URL,
store nothing it should not, lose nothing stored before, crash nothing and keep memory bounded;
the one well-behaved source beside them must be read as usual.

Add by URL's own hostile cases (private addresses, redirects inside, other schemes) are in
tests/test_outbound_guard.py; the web app's display of hostile text in tests/web/."""

from __future__ import annotations

import gzip
import json
import resource
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import regwatch, write_config
from tests.feeds import rss
from tests.loopback import Reply

MAX_RESPONSE_MB = 2
PEAK_RSS_MB = 450  # the crawl's processes, whatever they were sent


@dataclass(frozen=True)
class Case:
    source: str
    status: str          # the run's status
    kind: str | None     # the kind of its first error or warning (None: neither)
    stored: int          # items stored by the hostile run
    says: str = ""       # in the error's or warning's message
    spider: str = "feed"
    path: str = ""

    @property
    def route(self) -> str:
        return self.path or f"/{self.source}.xml"


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{n} "{("&lol%s;" % ("" if n == 1 else n - 1)) * 10}">' for n in range(1, 10))
                  + ']><rss version="2.0"><channel><title>x</title><item><title>&lol9;</title>'
                    "<link>https://agency.example/a</link></item></channel></rss>")
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   '<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>'
                   "<link>https://agency.example/b</link></item></channel></rss>")
CHALLENGE = ("<html><head><title>Just a moment...</title></head><body><div id='cf-chl-widget'>Checking your "
             "browser</div></body></html>")

CASES = [
    Case("entity-bomb", "failed", "unparseable", 0, "entity declarations"),
    Case("external-entity", "failed", "unparseable", 0, "entity declarations"),
    Case("gzip-bomb", "failed", "fetch_failed", 0, "decompressed"),
    Case("oversize-no-length", "failed", "fetch_failed", 0, "max_response_mb"),
    Case("endless-chunked", "failed", "fetch_failed", 0, "max_response_mb"),
    Case("redirect-chain", "failed", "fetch_failed", 0, "too many redirects"),
    Case("http-500", "failed", "fetch_failed", 0, "HTTP 500"),
    Case("challenge-page", "blocked", "blocked", 0, "anti-bot"),
    Case("truncated-feed", "ok", "malformed_feed", 2, "2 entries recovered"),
    Case("nul-and-bad-utf8", "ok", "malformed_feed", 2, "not well-formed"),
    Case("scripts-and-javascript-links", "failed", "unparseable", 2, "javascript:"),
    Case("megabyte-title", "ok", None, 1),
    Case("misdeclared-gbk", "ok", None, 1, spider="page", path="/misdeclared-gbk.html"),
    Case("not-a-pdf", "failed", "unparseable", 0, "unreadable PDF", spider="sitemap", path="/not-a-pdf-sitemap.xml"),
    Case("deep-json", "failed", "unparseable", 0, "nested too deep", spider="courtlistener",
         path="/deep-json/search/"),
]
WELL_BEHAVED = "agency-news"


def _feed_entries(base: str, *entries: tuple[str, str, str]) -> str:
    items = "".join(f"<item><title>{title}</title><link>{link}</link><description>{summary}</description>"
                    "<pubDate>Wed, 15 Jan 2025 14:00:00 GMT</pubDate></item>" for title, link, summary in entries)
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'


def serve_hostile(site) -> None:
    base = site.base
    site.serve("/entity-bomb.xml", BILLION_LAUGHS, "application/rss+xml")
    site.serve("/external-entity.xml", EXTERNAL_ENTITY, "application/rss+xml")
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MB inflated from ~64 KB
    site.serve("/gzip-bomb.xml", bomb, "application/rss+xml", headers={"Content-Encoding": "gzip"})
    chunk = b"<!-- " + b"x" * 65_536 + b" -->"
    site.routes["/oversize-no-length.xml"] = Reply(200, headers={"Content-Type": "application/rss+xml"},
                                                   stream=lambda: iter([chunk] * 64))  # 4 MB, no length
    site.routes["/endless-chunked.xml"] = Reply(200, headers={"Content-Type": "application/rss+xml"},
                                                stream=_endless(chunk), chunked=True)
    for hop in range(30):
        site.routes[f"/redirect-chain/{hop}"] = Reply(302, headers={"Location": f"{base}/redirect-chain/{hop + 1}"})
    site.routes["/redirect-chain.xml"] = Reply(302, headers={"Location": f"{base}/redirect-chain/0"})
    site.serve("/http-500.xml", "Internal Server Error", "text/plain", status=500)
    site.serve("/challenge-page.xml", CHALLENGE, "text/html; charset=utf-8")
    whole = rss(base, 3, prefix="Truncated")
    site.serve("/truncated-feed.xml", whole[: whole.rindex("<item>") + 30], "application/rss+xml")
    site.serve("/nul-and-bad-utf8.xml", _feed_entries(base, ("AI\x00 rules", f"{base}/n/1", "NUL\x00 inside"),
                                                       ("Second AI notice", f"{base}/n/2", "bad \xff bytes"))
               .encode("utf-8").replace(b"\xc3\xbf", b"\xff"), "application/rss+xml")
    site.serve("/scripts-and-javascript-links.xml", _feed_entries(
        base,
        ("&lt;script&gt;alert(1)&lt;/script&gt; AI rules", f"{base}/s/1",
         "&lt;img src=x onerror=alert(1)&gt;&lt;p&gt;The AI notice.&lt;/p&gt;"),
        ("Click me", "javascript:alert(document.cookie)", "a javascript: link"),
        ("AI guidance &lt;a href=&quot;javascript:alert(2)&quot;&gt;here&lt;/a&gt;", f"{base}/s/3", "text")),
        "application/rss+xml")
    site.serve("/megabyte-title.xml", _feed_entries(base, ("AI " * 350_000, f"{base}/m/1", "long")),
               "application/rss+xml")
    page = ("<html><head><meta charset='utf-8'><title>关于人工智能的通知</title></head><body><h1>关于人工智能的通知"
            "</h1><p>发布时间：2025-01-15</p><p>为促进人工智能健康发展，现将有关事项通知如下。各单位应当认真落实。</p>"
            "</body></html>")
    site.serve("/misdeclared-gbk.html", page.encode("gbk"), "text/html; charset=utf-8")
    site.serve("/not-a-pdf-sitemap.xml", '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
               f'sitemap/0.9"><url><loc>{base}/report.pdf</loc></url></urlset>', "application/xml")
    site.serve("/report.pdf", b"%PDF-1.7\n" + b"\x8f garbage, no objects, no xref " * 100, "application/pdf")
    deep = "[" * 100_000 + "]" * 100_000
    site.fallback = lambda seen: Reply(200, deep.encode(), {"Content-Type": "application/json"}) \
        if seen.path.startswith("/deep-json/") else Reply(404, b"not found", {"Content-Type": "text/plain"})
    site.serve(f"/{WELL_BEHAVED}.xml", rss(base, 3, prefix="Fine"), "application/rss+xml")


def _endless(chunk: bytes):
    def produce():
        while True:
            yield chunk
    return produce


def _source(site, case: Case) -> dict:
    source = {"id": case.source, "spider": case.spider, "urls": [site.url(case.route)], "jurisdiction": "US",
              "language": "en"}
    if case.spider == "page":
        source.update(jurisdiction="CN", language="zh")
    if case.spider == "courtlistener":
        source.update(urls={"search": site.url(case.route)}, options={"search_types": ["o"]})
    return source


def _sources(config: Path) -> dict[str, dict]:
    result = regwatch(config, "sources", "--json")
    assert result.returncode == 0, result.stderr
    return {source["id"]: source for source in json.loads(result.stdout)}


def _queue(config: Path) -> list[dict]:
    result = regwatch(config, "queue", "--json")
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def crawled(site, tmp_path):
    """Every case's source read well once (a first crawl stores two items per feed), then hostile."""
    sources = [_source(site, case) for case in CASES] + [
        {"id": WELL_BEHAVED, "spider": "feed", "urls": [site.url(f"/{WELL_BEHAVED}.xml")]}]
    config = write_config(tmp_path, sources, crawl={"max_response_mb": MAX_RESPONSE_MB, "timeout_s": 10})
    for case in CASES:
        if case.spider == "feed":
            site.serve(case.route, rss(site.base, 2, prefix=case.source), "application/rss+xml")
    site.serve(f"/{WELL_BEHAVED}.xml", rss(site.base, 3, prefix="Fine"), "application/rss+xml")
    first = regwatch(config, "crawl")
    before = {item["url"]: item for item in _queue(config)}
    serve_hostile(site)
    hostile = regwatch(config, "crawl", timeout=240)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return config, first, hostile, before, peak_mb


def test_every_hostile_answer_is_a_named_error_and_the_others_are_read(crawled):
    config, _first, hostile, before, peak_mb = crawled
    assert hostile.returncode == 1  # some sources failed; the command still finished
    assert "Traceback" not in hostile.stderr
    sources = _sources(config)
    seen = {}
    for case in CASES:
        source = sources[case.source]
        problem = source["last_error"] or (source["warnings"] or [None])[0]
        seen[case.source] = (source["status"], problem["kind"] if problem else None)
        if problem is not None:
            assert problem["url"] and case.says in problem["message"], (case, problem)  # what, and where
    assert seen == {case.source: (case.status, case.kind) for case in CASES}
    assert sources[WELL_BEHAVED]["status"] == "ok" and sources[WELL_BEHAVED]["items"] == 3
    assert peak_mb < PEAK_RSS_MB


def test_hostile_answers_store_nothing_they_should_not_and_lose_nothing_stored(crawled):
    config, first, _hostile, before, _peak = crawled
    feeds = [case for case in CASES if case.spider == "feed"]
    assert len(before) == 2 * len(feeds) + 3, first.stdout  # the first, well-behaved answers were stored
    items = _queue(config)
    by_source: dict[str, list[dict]] = {}
    for item in items:
        by_source.setdefault(item["source"], []).append(item)
    assert set(before) <= {item["url"] for item in items}  # nothing stored before was lost
    for case in CASES:
        new = [i for i in by_source.get(case.source, []) if i["url"] not in before]
        assert len(new) == case.stored, (case, [i["title"][:60] for i in new])
    everything = json.dumps(items, ensure_ascii=False)
    assert "root:" not in everything and "lollol" not in everything and "\\u0000" not in everything
    assert not any(i["url"].startswith("javascript:") for i in items)
    hostile = [i for i in by_source["scripts-and-javascript-links"] if i["url"] not in before]
    assert all("<" not in i["summary"] for i in hostile)  # markup in summaries is reduced to its text
    [giant] = [i for i in by_source["megabyte-title"] if i["url"] not in before]
    assert len(giant["title"]) <= 1000 and giant["title"].endswith("…")
    [chinese] = by_source["misdeclared-gbk"]
    assert chinese["title"] == "关于人工智能的通知"
    assert {i["title"] for i in by_source["nul-and-bad-utf8"] if i["url"] not in before} >= {"AI rules"}
