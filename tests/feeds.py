"""Small RSS/Atom documents for crawl tests, in the shape agency WordPress feeds serve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape


def rss(base: str, count: int, prefix: str = "Notice", start: datetime | None = None) -> str:
    start = start or datetime(2025, 1, 15, 14, tzinfo=UTC)
    items = []
    for n in range(count):
        moment = format_datetime(start - timedelta(hours=6 * n))
        items.append(
            f"<item><title>{escape(prefix)} {n} on artificial intelligence</title>"
            f"<link>{base}/news/{prefix.lower()}-{n}/?utm_source=rss</link>"
            f"<guid isPermaLink=\"false\">{base}/?p={1000 + n}</guid>"
            f"<pubDate>{moment}</pubDate><dc:creator><![CDATA[Press Office]]></dc:creator>"
            f"<description><![CDATA[<p>The agency announced item {n} about AI governance and "
            f"machine learning oversight for federal programs.</p>]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Agency News</title>'
        f"<link>{base}/</link><description>News</description><language>en-US</language>"
        + "".join(items) + "</channel></rss>"
    )
