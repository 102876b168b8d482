"""MIIT (工业和信息化部, www.miit.gov.cn) notices.

Column pages (…/wjfb/tz/index.html) are JavaScript shells: a <script url="/api-gateway/
jpaas-publish-server/front/page/build/unit" queryData="{'webId':…,'pageId':…}"> names the
request that returns the list as {"success": true, "data": {"html": "<div class=page-content>…"}}
(entries: li > a[title] + span date). The API refuses requests without the column page as
Referer. Article pages: h1#con_title, #con_time (发布时间：2025-01-10 18:45), #con_con.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

from parsel import Selector
from scrapy.http import Request, Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import html_to_text
from spiders.base import load_json, text_of
from spiders.cn_base import ChineseListingSpider

UNIT_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
UNIT_PARAMS = ("parseType", "webId", "tplSetId", "pageType", "tagId", "editType", "pageId")


def unit_url(response: Response) -> str:
    """The list request a column page's script describes (queryData is JSON in single quotes)."""
    script = response.css(f"script[url*='{UNIT_PATH}']")
    if not script:
        raise Unparseable("column page without its build/unit list script", url=response.url)
    query = json.loads(script.attrib["querydata"].replace("'", '"'))
    params = [(key, str(query[key])) for key in UNIT_PARAMS if key in query]
    return f"{response.urljoin(script.attrib['url'])}?{urlencode(params)}"


class MiitSpider(ChineseListingSpider):
    name = "miit"

    def is_index(self, url: str) -> bool:
        return UNIT_PATH in url or super().is_index(url)

    def parser_for(self, url: str):
        if UNIT_PATH in url:
            return self.parse_unit
        return self.parse_listing if super().is_index(url) else self.parse_detail

    def parse_listing(self, response: Response) -> Iterator[Request]:
        yield self.request(unit_url(response), headers={"Referer": response.url})

    def parse_unit(self, response: Response) -> Iterator[CandidateItem]:
        data = load_json(response)
        if not isinstance(data, dict):
            raise Unparseable("build/unit answer is not a JSON object", url=response.url)
        html = (data.get("data") or {}).get("html")
        if not data.get("success") or not isinstance(html, str):
            raise Unparseable(f"build/unit answer without data.html ({data.get('message')!r})", url=response.url)
        for entry in Selector(text=html).css("div.page-content li"):
            link = entry.css("a")
            item = self.entry(response, link.attrib.get("href"), link.attrib.get("title") or text_of(link),
                              text_of(entry.css("span")))
            if item:
                yield item

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        body = response.css("#con_con").get()
        title = text_of(response.css("#con_title")) or response.css("meta[name=ArticleTitle]::attr(content)").get()
        if body is None or not title:
            raise Unparseable("article page without #con_title or #con_con", url=response.url)
        shown = text_of(response.css("#con_time")) or response.css("meta[name=PubDate]::attr(content)").get()
        yield self.document(response, title, self.date(shown), html_to_text(body))
