"""`spider: news_feed`: an organisation's RSS/Atom news feed (EDPB, CNIL, the Commission, company
newsrooms), summarised by its lead paragraph and typed by category or URL, all from config:

    options:
      doc_type: press_release                   # default document type (news)
      doc_types_by_category: {Press release: press_release}   # feed <category> -> doc type
      doc_types_by_url: {"/detail/en/ip_": press_release}     # URL substring -> doc type
      doc_types_by_title: {"^Sanction": judgment}             # title pattern -> doc type
      skip_categories: [India Newsroom]         # entries tagged so are not this source's news
      strip_prefix: "^European Commission Press release [^,]+, \\d+ \\w+ \\d{4} "   # dateline before the lead
      public_links: {"^https://wp\\.oecd\\.ai/(?:.+/)?([^/]+)/?$": "https://oecd.ai/en/wonk/\\1"}
                                                # a headless CMS's permalink -> the page readers see
"""

from __future__ import annotations

import re
from typing import Any

from scrapy.http import Response

from crawler.items import CandidateItem
from crawler.normalize import html_to_text
from spiders.base import FeedSpider
from spiders.intl_common import lead_paragraph

# WordPress appends "The post X appeared first on Y." to every excerpt.
_WORDPRESS_FOOTER = re.compile(r"<p>\s*The post <a[^>]*>.*?</a> appeared first on .*?</p>", re.I | re.S)


class NewsFeedSpider(FeedSpider):
    name = "news_feed"

    def check_configured(self) -> None:
        options = self.source.options
        self.doc_type = options.get("doc_type", "news")
        self.by_category = {k.lower(): v for k, v in (options.get("doc_types_by_category") or {}).items()}
        self.by_url = dict(options.get("doc_types_by_url") or {})
        self.by_title = [(re.compile(k, re.I), v) for k, v in (options.get("doc_types_by_title") or {}).items()]
        self.skipped = {c.lower() for c in options.get("skip_categories") or []}
        self.prefix = re.compile(options["strip_prefix"]) if options.get("strip_prefix") else None
        self.public_links = [(re.compile(k), v) for k, v in (options.get("public_links") or {}).items()]

    def entry_item(self, response: Response, entry: Any) -> CandidateItem | None:
        categories = [(tag.get("term") or "").strip() for tag in entry.get("tags") or []]
        if self.skipped.intersection(c.lower() for c in categories):
            return None
        description = _WORDPRESS_FOOTER.sub("", entry.get("summary", ""))
        content = entry.get("content") or []
        body = _WORDPRESS_FOOTER.sub("", content[0].get("value", "")) if content else description
        summary = lead_paragraph(description)
        if self.prefix:
            summary = self.prefix.sub("", summary, count=1)
        url = self.public_link(self.entry_link(response, entry))
        return self.item(
            response, url=url, title=entry.get("title", ""), published=self.entry_date(entry),
            doc_type=self.doc_type_of(url, categories, entry.get("title", "")),
            summary=summary,
            text=html_to_text(body),
        )

    def public_link(self, url: str) -> str:
        for pattern, template in self.public_links:
            if pattern.match(url):
                return pattern.sub(template, url, count=1)
        return url

    def doc_type_of(self, url: str, categories: list[str], title: str = "") -> str:
        for part, doc_type in self.by_url.items():
            if part in url:
                return doc_type
        for pattern, doc_type in self.by_title:
            if pattern.search(title):
                return doc_type
        for category in categories:
            if category.lower() in self.by_category:
                return self.by_category[category.lower()]
        return self.doc_type
