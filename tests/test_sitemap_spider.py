"""`spider: sitemap` crawled end to end against a loopback site: a plain urlset's pages are fetched
and read by the generic document reader; include, exclude and the lookback keep the rest out."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import regwatch, write_config

# The run's clock: a 14-day lookback starts on 2025-01-24.
NOW = "2025-02-07T12:00:00+00:00"
PAGES = {
    # path: (lastmod in the sitemap, the page)
    "/news/agency-proposes-ai-rules": ("2025-02-05T16:20:00+00:00", """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Agency proposes rules on AI | Example Agency</title>
<meta property="og:title" content="Agency proposes rules on artificial intelligence in lending">
<meta property="article:published_time" content="2025-02-03T10:00:00-05:00"></head>
<body><main><h1>Agency proposes rules on artificial intelligence in lending</h1>
<p>The agency proposed rules today on how lenders may use artificial intelligence models to decide
on credit applications, and asks for comments by April 4.</p></main></body></html>"""),
    "/news/model-audit-guidance": ("2025-02-06", """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Guidance on model audits | Example Agency</title></head>
<body><main><h1>Guidance on auditing machine learning models</h1><time datetime="2025-01-31">January 31, 2025</time>
<p>New guidance explains how firms should audit the machine learning models they deploy.</p></main>
</body></html>"""),
    "/news/tag/ai": ("2025-02-06", "<html><head><title>Tag: AI</title></head><body><h1>AI</h1></body></html>"),
    "/about/contact": ("2025-02-01", "<html><head><title>Contact</title></head><body><h1>Contact</h1></body></html>"),
    "/news/annual-report-2023": ("2024-03-01", "<html><head><title>Old</title></head><body><h1>Old</h1></body></html>"),
}


def urlset(base: str) -> str:
    """A plain sitemaps.org urlset, as most CMSs write it: loc and lastmod, no titles."""
    entries = "".join(f"<url><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod><changefreq>weekly</changefreq>"
                      f"</url>" for path, (lastmod, _) in PAGES.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n')


def sitemap_source(site) -> dict:
    return {"id": "example-agency", "spider": "sitemap", "name": "Example Agency", "jurisdiction": "US",
            "category": "guidance", "language": "en", "urls": [site.url("/sitemap.xml")],
            "options": {"include": ["/news/"], "exclude": ["/tag/"], "doc_type": "guidance"}}


def crawl(config: Path) -> None:
    result = regwatch(config, "crawl", "-s", f"REGWATCH_NOW={NOW}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sitemap_source_stores_untitled_entries_from_their_own_pages(site, tmp_path):
    site.serve("/sitemap.xml", urlset(site.base), "application/xml")
    for path, (_, page) in PAGES.items():
        site.serve(path, page)
    config = write_config(tmp_path, [sitemap_source(site)])
    crawl(config)
    items = {i["url"]: i for i in map(json.loads, regwatch(config, "queue", "--json").stdout.splitlines())}
    assert set(items) == {site.url("/news/agency-proposes-ai-rules"), site.url("/news/model-audit-guidance")}
    rules = items[site.url("/news/agency-proposes-ai-rules")]
    assert (rules["title"], rules["published"]) == ("Agency proposes rules on artificial intelligence in lending",
                                                    "2025-02-03")  # the page's date, not the sitemap's lastmod
    audit = items[site.url("/news/model-audit-guidance")]
    assert (audit["title"], audit["published"]) == ("Guidance on auditing machine learning models", "2025-01-31")
    assert {(i["doc_type"], i["extraction"], i["source"]) for i in items.values()} == {
        ("guidance", "generic", "example-agency")}
    # Excluded, not included, or older than the lookback: never fetched.
    fetched = sorted(r.path for r in site.requests)
    assert fetched == ["/news/agency-proposes-ai-rules", "/news/model-audit-guidance", "/sitemap.xml"]
    # A stored page is not fetched again.
    crawl(config)
    assert sorted(r.path for r in site.requests) == [*fetched, "/sitemap.xml"]
    assert json.loads(regwatch(config, "sources", "--json").stdout)[0]["status"] == "ok"


def test_sitemap_url_answering_with_a_page_is_unparseable_not_an_item(site, tmp_path):
    site.serve("/sitemap.xml", "<!DOCTYPE html><html><head><title>Welcome</title></head>"
                               "<body><h1>Welcome to Example Agency</h1><p>Home page.</p></body></html>")
    config = write_config(tmp_path, [sitemap_source(site)])
    regwatch(config, "crawl", "-s", f"REGWATCH_NOW={NOW}")
    [source] = json.loads(regwatch(config, "sources", "--json").stdout)
    assert source["last_error"]["kind"] == "unparseable" and "expected a sitemap" in source["last_error"]["message"]
    assert source["last_error"]["url"] == site.url("/sitemap.xml")
    assert regwatch(config, "queue", "--json").stdout.strip() == ""
