"""TC260 (全国网络安全标准化技术委员会, www.tc260.org.cn): notices and drafts for comment.

The portal renders its lists on the server: 通知公告 entries are links to /portal/article/<column>/<id>;
posts of the site before the portal, which bulletins cite, are /front/postDetail.html?id=<14 digits>
(the same id: the post's creation moment), their title in div.news_title and date in div.news_time;
征求意见 entries have no href but `onclick="jumpDetail('<id>','<comment deadline>')"`, and the
detail page is /portal/suggestion-detail/<id>. Standard numbers (GB/T 45438-2025, TC260-PG-20241A)
are the identifiers of published standards and practice guides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.html
from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.generic.listing import ListingEntry
from crawler.items import CandidateItem
from crawler.normalize import html_to_text
from spiders.base import text_of
from spiders.cn_base import ChineseListingSpider

JUMP_DETAIL = re.compile(r"jumpDetail\(\s*'([0-9a-zA-Z]+)'\s*,\s*'([^']*)'\s*\)")


class Tc260Spider(ChineseListingSpider):
    name = "tc260"
    find_standard_numbers = True

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        entries = response.css("div.list div.item, div.item")
        if not entries:
            raise Unparseable("listing without div.item entries", url=response.url)
        for entry in entries:
            link = entry.css("a")
            href, dates = link.attrib.get("href"), {}
            jump = JUMP_DETAIL.search(link.attrib.get("onclick", ""))
            if jump:
                href = f"/portal/suggestion-detail/{jump[1]}"
                dates = {"comment_deadline": self.date(jump[2])}
            item = self.entry(response, href, text_of(link), entry.css("span::text").get(),
                              dates={k: v for k, v in dates.items() if v})
            if item:
                if jump and item.doc_type not in ("draft_standard", "proposed_rule"):
                    item.doc_type = "draft_standard"
                yield item

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        body = response.css("div.article-content, div.advice-c, div.info, div.news_end").get()
        if body is None:
            raise Unparseable("TC260 page without an article or suggestion body", url=response.url)
        attachments = [text_of(a) for a in response.css("div.list li a, div.attachment a")]
        text = "\n\n".join([html_to_text(body), *attachments])
        title = text_of(response.css("div.article-title, div.detail-title, div.news_title, h1").xpath("(.)[1]"))
        shown = text_of(response.css("div.article-time, div.detail-time, div.news_time"))
        yield self.document(response, title, self.date(shown), text)

    # --- the generic listing reader, when the portal's classes change --------------------------

    def link_of(self, link: lxml.html.HtmlElement) -> str | None:
        """征求意见 entries link by onclick="jumpDetail('<id>', '<deadline>')", not by href."""
        jump = JUMP_DETAIL.search(link.get("onclick") or "")
        return f"/portal/suggestion-detail/{jump[1]}" if jump else None

    def listing_item(self, response: Response, entry: ListingEntry) -> CandidateItem:
        item = super().listing_item(response, entry)
        if "/suggestion-detail/" in item.url and item.doc_type not in ("draft_standard", "proposed_rule"):
            item = item.model_copy(update={"doc_type": "draft_standard"})
        return item
