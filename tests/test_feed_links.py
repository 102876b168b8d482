"""Feed entry links are absolute whatever the feed gives: feedparser is run without a base URL
(faster), so the feed spider joins relative links against the feed's own URL."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.config import load_config
from crawler.parsing import parse_file
from tests.conftest import write_config

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Agency news</title><link>https://agency.example/</link>
<item><title>Relative link</title><link>/news/2025/ai-guidance</link>
<pubDate>Tue, 07 Jan 2025 15:00:00 GMT</pubDate></item>
<item><title>Absolute link</title><link>https://other.example/a?utm_source=rss</link>
<pubDate>Tue, 07 Jan 2025 16:00:00 GMT</pubDate></item>
<item><title>No link</title><pubDate>Tue, 07 Jan 2025 17:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_relative_feed_links_are_joined_with_the_feed_url(tmp_path):
    config = load_config(write_config(tmp_path, [{"id": "agency-news", "spider": "feed",
                                                  "urls": ["https://agency.example/feeds/news.xml"]}]))
    path = tmp_path / "feed.xml"
    path.write_text(FEED, encoding="utf-8")
    items, _ = parse_file(config, "agency-news", path, "https://agency.example/feeds/news.xml",
                          datetime(2025, 1, 8, tzinfo=UTC), headers={"Content-Type": "application/rss+xml"})
    assert [item.url for item in items] == ["https://agency.example/news/2025/ai-guidance",
                                            "https://other.example/a",
                                            "https://agency.example/feeds/news.xml"]
