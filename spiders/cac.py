"""CAC (国家互联网信息办公室, www.cac.gov.cn): regulations, drafts for comment, generative AI
service filing announcements.

Column pages (…/A093702index_1.htm) carry their first entries in `div#loadingInfoPage`, with
protocol-relative, often unquoted links; the page's script loads the rest from
/cms/JsonList?channelCode=…&perPage=…&pageno=… ({"totalRec": n, "list": [{topic, infourl,
pubtime}]}), which answers GET as well as POST. Article pages: h1.title, span#pubtime
(2025年01月08日 10:00), span#source, div.main-content.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import html_to_text
from spiders.base import load_json, text_of
from spiders.cn_base import ChineseListingSpider

FILING_COUNT = re.compile(r"共有\s*(\d+)\s*款生成式人工智能服务")


class CacSpider(ChineseListingSpider):
    name = "cac"

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        if "/cms/JsonList" in response.url:
            yield from self.parse_json_list(response)
            return
        entries = response.css("#loadingInfoPage li")
        if not entries:
            raise Unparseable("column page without #loadingInfoPage entries", url=response.url)
        for entry in entries:
            link = entry.css("a")
            item = self.entry(response, link.attrib.get("href"), link.attrib.get("title") or text_of(link),
                              text_of(entry.css(".times")))
            if item:
                yield item

    def parse_json_list(self, response: Response) -> Iterator[CandidateItem]:
        data = load_json(response)
        if not isinstance(data, dict) or not isinstance(data.get("list"), list):
            raise Unparseable("JsonList answer without a `list` of entries", url=response.url)
        for row in data["list"]:
            item = self.entry(response, row.get("infourl"), row.get("topic"), row.get("pubtime"))
            if item:
                yield item

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        title = text_of(response.css("h1.title"))
        body = response.css("div.main-content").get()
        if not title or body is None:
            raise Unparseable("article page without h1.title or div.main-content", url=response.url)
        text = html_to_text(body)
        identifiers = {}
        filings = FILING_COUNT.search(text)
        if filings:
            identifiers["genai_filings_total"] = filings[1]
        attachments = [response.urljoin(h) for h in response.css("div.main-content a::attr(href)").getall()
                       if h.lower().endswith((".xlsx", ".xls", ".pdf", ".doc", ".docx"))]
        if attachments:
            text += "\n\n" + "\n".join(f"附件：{url}" for url in attachments)
        yield self.document(response, title, self.date(text_of(response.css("#pubtime"))), text,
                            identifiers=identifiers)
