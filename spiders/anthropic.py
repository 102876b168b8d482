"""Anthropic news (anthropic.com/news): no feed; a Next.js listing page whose class names carry
build hashes, so cards are found by what they are: links to /news/<slug> holding a heading and a
"Mon D, YYYY" date. Featured posts appear twice on the page; they are read once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from spiders.base import HtmlListingSpider, text_of

_SHOWN_DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}\b")
# The category label of a card (Announcements, Product, Policy, ...); its class names it "subject".
CATEGORY_TYPES = {"announcements": "press_release", "policy": "news", "product": "news"}


class AnthropicNewsSpider(HtmlListingSpider):
    name = "anthropic_news"
    fetch_details = False  # the card has title, date and category; article pages are script-drawn

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
