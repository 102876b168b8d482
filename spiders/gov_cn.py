"""State Council policy library (国务院政策文件库, www.gov.cn/zhengce/zhengcewenjianku/).

The library's page is filled from sousuo.www.gov.cn/search-gov/data (JSON): entries sit under
searchVO.catMap.<category>.listVO (gongwen = 国务院文件, bumenfile = 部门文件; otherfile = 解读,
gongbao = 公报 reprints; older answers put them in searchVO.listVO). Each entry gives title,
pcode (发文字号), pubtimeStr (2025.01.24), puborg; the document page gives the text and a table of
labelled fields (发文机关, 发文字号, 成文日期, 发布日期) in one of two layouts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import html_to_text
from spiders.base import load_json, text_of
from spiders.cn_base import ChineseListingSpider
from spiders.cn_common import labelled_fields

DEFAULT_CATEGORIES = ("gongwen", "bumenfile")


class GovCnPolicySpider(ChineseListingSpider):
    name = "gov_cn_policy"

    def parser_for(self, url: str):
        # Any search URL (another query, another page) is a listing, not only the configured one.
        return self.parse_listing if "/search-gov/data" in url else self.parse_detail

    def entries(self, response: Response, search: dict[str, Any]) -> list[dict[str, Any]]:
        categories = self.source.options.get("categories") or DEFAULT_CATEGORIES
        cat_map = search.get("catMap") or {}
        rows = [row for cat in categories for row in (cat_map.get(cat) or {}).get("listVO") or []]
        return rows or search.get("listVO") or []

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        data = load_json(response)
        if not isinstance(data, dict):
            raise Unparseable("policy search answer is not a JSON object", url=response.url)
        search = data.get("searchVO")
        if data.get("code") == 1001:  # "抱歉，没有找到相关结果": no hits, not a failure
            return
        if not isinstance(search, dict):
            raise Unparseable(f"policy search answer without searchVO (code {data.get('code')})", url=response.url)
        for row in self.entries(response, search):
            title = html_to_text(row.get("title") or "")  # <em> highlights, <br/> in 公报 titles
            item = self.entry(response, row.get("url"), title, row.get("pubtimeStr"),
                              authority=row.get("puborg") or None, summary=row.get("summary") or "",
                              identifiers={"doc_number": row.get("pcode") or ""})
            if item:
                yield item

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        body = response.css("#UCAP-CONTENT").get()
        if body is None:
            raise Unparseable("document page without #UCAP-CONTENT", url=response.url)
        table = response.css("div.policyLibraryOverview_header table td, table.bd1 td")
        fields = labelled_fields([text_of(td) for td in table])
        title = (fields.get("标题") or text_of(response.css("div.share-title"))
                 or (response.css("title::text").get() or "").split("_")[0])
        # 部门文件 pages show no 发布日期; their first-publication meta reads 2025-01-17-17:40:00.
        first_published = response.css("meta[name=firstpublishedtime]::attr(content)").get()
        published = self.date(fields.get("发布日期") or first_published)
        hint = self.listing_hint(response)
        yield self.document(
            response, title, published, html_to_text(body),
            identifiers={"doc_number": fields.get("发文字号", ""), "index_number": fields.get("索引号", "")},
            authority=fields.get("发文机关") or (hint.authority if hint else None),
            dates={"signed": self.date(fields.get("成文日期"))},
        )
