"""Anthropic news (anthropic.com/news): no feed; a Next.js listing page whose class names carry
build hashes, so cards are found by what they are: links to /news/<slug> holding a heading and a
"Mon D, YYYY" date. Featured posts appear twice on the page; they are read once. A card without
an excerpt sends the crawl to its article page (server-rendered) for the lead paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import first_paragraph
from spiders.base import HtmlListingSpider, text_of

_SHOWN_DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}\b")
# The category label of a card (Announcements, Product, Policy, ...); its class names it "subject".
CATEGORY_TYPES = {"announcements": "press_release", "policy": "news", "product": "news"}


class AnthropicNewsSpider(HtmlListingSpider):
    name = "anthropic_news"

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        seen: set[str] = set()
        for card in response.css("a[href^='/news/']"):
            href = card.attrib["href"].split("?")[0]
            title = text_of(card.css("h2, h3, h4")[:1])
            shown = _SHOWN_DATE.search(text_of(card))
            if not title or not shown or href in seen:
                continue
            seen.add(href)
            category = text_of(card.css("[class*='subject'], [class*='category']")[:1])
            summary = text_of(card.css("p[class*='body'], p[class*='summary']")[:1])
            yield self.item(response, url=response.urljoin(href), title=title, published=self.date(shown.group(0)),
                            doc_type=CATEGORY_TYPES.get(category.lower(), "news"), summary=summary)
        if not seen:
            raise Unparseable("news page without /news/ cards holding a heading and a date", url=response.url)

    def follow(self, response: Response, items: list[CandidateItem]) -> Iterator[Any]:
        """Cards with an excerpt are complete; the others' articles are read for their lead."""
        if not self.is_index(response.url):
            yield from super().follow(response, items)
            return
        complete = [item for item in items if item.summary]
        if complete:
            yield self.batch(response, complete)
        yield from super().follow(response, [item for item in items if not item.summary])

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        article = response.css("article")[:1] or response.css("main")[:1]
        title = text_of(article.css("h1")[:1])
        if not title:
            raise Unparseable("article page without an <h1> in <article>", url=response.url)
        paragraphs = [text_of(p) for p in article.css("div[class*='Body'] p, p[class*='post-text']")]
        text = "\n\n".join(dict.fromkeys(p for p in paragraphs if p))
        shown = _SHOWN_DATE.search(text_of(article.css("[class*='timestamp'], [class*='date']")[:1]))
        category = text_of(article.css("[class*='subject']")[:1])
        item = self.item(
            response, title=title, published=self.date(shown.group(0)) if shown else None,
            doc_type=CATEGORY_TYPES.get(category.lower(), "news"),
            summary=first_paragraph(text) or (response.css("meta[name='description']::attr(content)").get() or ""),
            text=text,
        )
        yield self.merge_hint(response, item)
