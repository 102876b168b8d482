"""`spider: sitemap`: any site's sitemap (sitemaps.org urlset, Google News sitemap, or a sitemap
index of them), no code needed.

News-sitemap entries carry their title and date and are stored as they are; the page of an entry
without a title (a plain urlset gives only `loc` and `lastmod`) is fetched once and read by the
generic document reader (title, date, summary and text from the page's meta tags, JSON-LD,
headings and `<time>`), its `lastmod` standing in when the page shows no date. A sitemap index
leads to its newest child sitemaps. Entries dated before the lookback start are skipped.

    - id: example-agency
      spider: sitemap
      name: Example Agency
      jurisdiction: US
      category: guidance
      urls: ["https://agency.example/sitemap.xml"]     # urlsets or sitemap indexes, any number
      options:
        include: ["/news/", "/press-releases/"]        # regexes on the page URL, any of them (optional)
        exclude: ["/tag/", "/author/"]                 # regexes on the page URL, none of them (optional)
        doc_type: press_release                        # the items' type (default news)
        sitemap_children: 5                            # an index's newest child sitemaps read per run
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from scrapy.http import Response

from crawler.errors import NotConfigured, WrongKind
from crawler.generic import sniff
from crawler.items import DOC_TYPES
from spiders.base import RegwatchSpider, Result


class SitemapSpider(RegwatchSpider):
    name = "sitemap"
    doc_type = "news"

    def check_configured(self) -> None:
        options = self.source.options
        self.doc_type = options.get("doc_type", "news")
        if self.doc_type not in DOC_TYPES:
            raise NotConfigured(f"options.doc_type {self.doc_type!r} is not one of {', '.join(DOC_TYPES)}",
                                source=self.source.id)
        for key in ("include", "exclude"):
            patterns = options.get(key) or []
            for pattern in [patterns] if isinstance(patterns, str) else patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise NotConfigured(f"options.{key}: {pattern!r} is not a regex ({error})",
                                        source=self.source.id) from None

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        return self.parse_detail  # sitemaps are read before any parser; what is left is an entry's page

    def read(self, response: Response, kind: str) -> list[Any]:
        # A configured URL or a child sitemap that answers with a page (a soft 404, a login page)
        # is a broken source, not a document to store.
        if self.is_listing(response) and kind not in (sniff.SITEMAP, sniff.FEED):
            raise WrongKind(f"expected a sitemap (urlset or sitemapindex), got {kind}", url=response.url)
        return super().read(response, kind)
