"""DeepSeek news (api-docs.deepseek.com, a Docusaurus site): the docs sidebar's 新闻 / News
category lists the posts ("DeepSeek-R1 发布 2025/01/20", linking /zh-cn/news/news250120); each post
page has one h1 in `.theme-doc-markdown`. Pages carry no date of their own: it comes from the
sidebar entry, else from the slug (newsYYMMDD; the 2024 slugs newsMMDD name no year).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.generic.document import GenericDocument
from crawler.generic.listing import ListingEntry
from crawler.items import CandidateItem
from crawler.normalize import html_to_text
from spiders.base import text_of
from spiders.cn_base import ChineseListingSpider

SIDEBAR_DATE = re.compile(r"\s+(\d{4}/\d{1,2}/\d{1,2})\s*$")
SLUG_DATE = re.compile(r"/news/news(\d{2})(\d{2})(\d{2})/?$")


def slug_date(url: str) -> date | None:
    match = SLUG_DATE.search(url)
    try:
        return date(2000 + int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        return None


class DeepSeekNewsSpider(ChineseListingSpider):
    name = "deepseek_news"
    doc_type = "press_release"
    find_doc_numbers = False

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        links = response.css("li.theme-doc-sidebar-item-link a.menu__link[href*='/news/news']")
        if not links:
            raise Unparseable("docs sidebar without news links", url=response.url)
        for link in links:
            label = text_of(link)
            shown = SIDEBAR_DATE.search(label)
            title = SIDEBAR_DATE.sub("", label)
            item = self.entry(response, link.attrib.get("href"), title, shown[1] if shown else None)
            if item:
                item.published = item.published or slug_date(item.url)
                item.doc_type = self.doc_type
                yield item

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        article = response.css(".theme-doc-markdown")
        title = text_of(article.css("h1")) or (response.css("title::text").get() or "").split(" | ")[0]
        if not article or not title:
            raise Unparseable("news page without .theme-doc-markdown and its h1", url=response.url)
        body = article.get().replace(article.css("h1").get() or "", "", 1)
        yield self.document(response, title, slug_date(response.url), html_to_text(body), doc_type=self.doc_type)

    # The generic readers (a redesigned sidebar or page) keep the slug's date and the posts' type.
    def url_date(self, url: str) -> date | None:
        return slug_date(url) or super().url_date(url)

    def listing_item(self, response: Response, entry: ListingEntry) -> CandidateItem:
        item = super().listing_item(response, entry)
        return item.model_copy(update={"published": item.published or slug_date(item.url), "doc_type": self.doc_type})

    def from_generic_document(self, response: Response, document: GenericDocument) -> CandidateItem:
        return super().from_generic_document(response, document).model_copy(update={"doc_type": self.doc_type})
