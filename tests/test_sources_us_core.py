"""The Federal Register and White House sources of the default config, crawled end to end
against a local copy of the sites made of their example files."""

from __future__ import annotations

import json

from tests.conftest import regwatch
from tests.examples_harness import all_examples
from tests.source_site import default_config_copy, mirror_settings, serve_examples

SOURCES = {"federal-register", "whitehouse"}


def test_default_config_crawls_federal_register_and_white_house(site, tmp_path):
    serve_examples(site, SOURCES)
    config = default_config_copy(tmp_path, SOURCES)
    result = regwatch(config, "crawl", *mirror_settings(site))
    assert result.returncode == 0, result.stdout + result.stderr
    items = [json.loads(line) for line in regwatch(config, "queue", "--json").stdout.splitlines()]
    by_source = {s: {i["url"] for i in items if i["source"] == s} for s in SOURCES}
    expected_fr = {item["url"] for e in all_examples() if e.source_id == "federal-register"
                   for item in json.loads(e.expected_path.read_text())}
    assert by_source["federal-register"] == expected_fr
    # Four presidential actions and fact sheets, each read from its article page.
    assert len(by_source["whitehouse"]) == 4
    order = next(i for i in items if i["title"] == "Removing Barriers to American Leadership in Artificial Intelligence"
                 and i["source"] == "whitehouse")
    assert order["doc_type"] == "executive_order" and order["published"] == "2025-01-23"


def test_second_crawl_fetches_no_article_page_again(site, tmp_path):
    serve_examples(site, SOURCES)
    config = default_config_copy(tmp_path, {"whitehouse"})
    regwatch(config, "crawl", *mirror_settings(site))
    article = "/https/www.whitehouse.gov/presidential-actions/2025/01/hiring-freeze/"
    assert len(site.hits(article)) == 1
    assert regwatch(config, "crawl", *mirror_settings(site)).returncode == 0
    assert len(site.hits(article)) == 1
