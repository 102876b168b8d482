"""Reading RSS, Atom and RDF feeds: a mixin of every spider, since any source may meet a feed
(its configured one, or another of its site's feeds under another URL). feedparser parses; each
entry becomes an item through entry_item(), which sources override to add identifiers or types."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import feedparser
from scrapy.http import Response

from crawler.errors import MalformedFeed, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import html_to_text, local_date

_ABSOLUTE_URL = re.compile(r"https?://[^\s/]", re.I)


class FeedReading:
    """Mixin of RegwatchSpider (which provides item(), date() and source)."""

    def parse_feed(self, response: Response) -> Iterator[CandidateItem | MalformedFeed]:
        content_type = response.headers.get(b"Content-Type", b"application/xml").decode("latin-1")
        # Entries are reduced to text later, so feedparser's HTML sanitizing and URI rewriting
        # inside descriptions is work thrown away; without a base URL feedparser also skips
        # joining every element's xml:base (a third of its time), and entry_link joins the links.
        feed = feedparser.parse(response.body, response_headers={"content-type": content_type},
                                resolve_relative_uris=False, sanitize_html=False)
        if not feed.entries and not feed.version:
            raise Unparseable(f"not a feed ({feed.get('bozo_exception', 'unknown format')})", url=response.url)
        if malformed := malformed_feed(feed):
            # What the broken XML still yields is kept only if it names documents (has links).
            recovered = sum(bool(entry.get("link")) for entry in feed.entries)
            if not recovered:
                raise Unparseable(f"malformed feed without entries ({malformed})", url=response.url)
            yield MalformedFeed(f"feed is not well-formed XML ({malformed}); {recovered} entries recovered",
                                url=response.url)
        for entry in feed.entries:
            item = self.entry_item(response, entry)
            if item is not None:
                yield item

    def entry_item(self, response: Response, entry: Any) -> CandidateItem | None:
        """One feed entry as an item; sources override to add identifiers or a document type."""
        content = entry.get("content") or []
        return self.item(
            response,
            url=self.entry_link(response, entry),
            title=entry.get("title", ""),
            published=self.entry_date(entry),
            summary=html_to_text(entry.get("summary", "")),
            text=html_to_text(content[0].get("value", "")) if content else "",
        )

    @staticmethod
    def entry_link(response: Response, entry: Any) -> str:
        link = (entry.get("link") or "").strip()
        if _ABSOLUTE_URL.match(link):  # most feeds': joining would only take it apart and back
            return link
        return response.urljoin(link) if link else response.url

    def entry_date(self, entry: Any) -> date | None:
        """The entry's moment on the source's own calendar (a UTC stamp can fall on the next day)."""
        for key in ("published", "updated", "created"):
            raw = entry.get(key)
            if raw:
                parsed = entry.get(f"{key}_parsed")
                found = self.date(raw)
                if found:
                    return found
                if parsed:
                    return local_date(datetime(*parsed[:6], tzinfo=UTC), self.source.timezone)
        return None


def malformed_feed(feed: Any) -> str | None:
    """feedparser's complaint when the XML itself is broken (truncated, unclosed tags); a charset
    it had to guess or a text/html Content-Type is not the feed's fault."""
    error = feed.get("bozo_exception") if feed.get("bozo") else None
    if error is None or isinstance(error, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType):
        return None
    return f"{type(error).__name__}: {error}"
