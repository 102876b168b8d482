"""whitehouse.gov (WordPress): presidential actions and fact sheets.

The site's RSS feeds name new posts; each new post's article page gives the full text, the date
shown on the page (the signing date for presidential actions) and the kind of action.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import clean_line, html_to_text
from spiders.base import FeedSpider, text_of

CATEGORY_TYPES = {
    "executive orders": "executive_order",
    "presidential memoranda": "presidential_memorandum",
    "proclamations": "proclamation",
    "nominations & appointments": "news",
    "fact sheets": "press_release",
    "briefings & statements": "press_release",
}
# The opening words of the text tell the kind of action when the page does not.
TEXT_TYPES = (
    (re.compile(r"it is hereby ordered", re.I), "executive_order"),
    (re.compile(r"^\s*memorandum for\b", re.I | re.M), "presidential_memorandum"),
    (re.compile(r"\bdo hereby proclaim\b|^\s*a proclamation\b", re.I | re.M), "proclamation"),
)
SIGNED_TYPES = {"executive_order", "presidential_memorandum", "proclamation"}


def doc_type_of(categories: list[str], title: str, text: str) -> str:
    for category in categories:
        found = CATEGORY_TYPES.get(category.strip().lower())
        if found:
            return found
    if title.lower().startswith("fact sheet"):
        return "press_release"
    for pattern, doc_type in TEXT_TYPES:
        if pattern.search(text[:3000]):
            return doc_type
    return "news"


class WhiteHouseSpider(FeedSpider):
    name = "whitehouse"
    fetch_details = True

    def entry_item(self, response: Response, entry: Any) -> CandidateItem | None:
        item = super().entry_item(response, entry)
        categories = [tag.get("term", "") for tag in entry.get("tags") or []]
        item.doc_type = doc_type_of(categories, item.title, item.text or item.summary)
        return item

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        title = clean_line(response.css("h1.wp-block-whitehouse-topper__headline::text").get()
                           or response.css("meta[property='og:title']::attr(content)").get()
                           or response.css("h1::text").get())
        content = response.css("div.entry-content, div.wp-block-post-content")[:1]
        # The 2025 theme puts the headline block (kicker, headline, category, date) inside the content.
        body = content.get()
        for topper in content.css(".wp-block-whitehouse-topper").getall():
            body = body.replace(topper, "", 1)
        if not title or not body:
            raise Unparseable("article page without a headline or an entry-content body", url=response.url)
        shown = (response.css("div.wp-block-post-date time::attr(datetime)").get()
                 or response.css("meta[property='article:published_time']::attr(content)").get())
        published = self.date(shown)
        text = html_to_text(body)
        categories = [text_of(a) for a in response.css(".wp-block-whitehouse-topper__meta a, .wp-block-post-terms a")]
        hint = self.listing_hint(response)
        doc_type = doc_type_of(categories, title, text)
        if doc_type == "news" and hint is not None:
            doc_type = hint.doc_type
        item = self.item(
            response, title=title, published=published, text=text, doc_type=doc_type,
            dates={"signed": published} if doc_type in SIGNED_TYPES and published else {},
        )
        yield self.merge_hint(response, item)
