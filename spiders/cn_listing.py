"""`spider: cn_listing`: a server-rendered Chinese listing page and its document pages, described
by selectors in config `options`; one spider for the provincial governments (TRS and similar
engines), the Supreme People's Court and the Internet courts, CNNIC, 中国知识产权律师网, AI
companies' news pages and other sites built the same way.

    options:
      entries: "ul.NewsList li"          # one element per listing entry (required)
      link: "a"                          # the entry's link ("self": the entry is the link); its title
                                         # attribute is the full title
      entry_title: "h3"                  # where the entry's title is, when the link holds more text
      date: "span"                       # the entry's date; "text" = the entry's own loose text
      title: ["meta[name=ArticleTitle]::attr(content)", "h1"]   # on the document page, first found
      published: ["meta[name=PubDate]::attr(content)"]          # text holding a date (发布时间：…)
      body: ["#Zoom"]                     # the document's text
      exclude: ["h1", "p.meta"]           # elements inside the body that are not the text
      fields: "div.Xxgk_Info li"          # optional cells of 标签：值 pairs (发文字号, 成文日期, 发布机构)
      doc_type: notice                    # when the title names no type
      case_numbers: false                 # court sources: case_number, court, procedure
      doc_numbers: true                   # 文号 (国办发〔2024〕5号) from the opening lines
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.errors import NotConfigured, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import clean_line, html_to_text
from spiders.base import text_of
from spiders.cn_base import ChineseListingSpider
from spiders.cn_common import labelled_fields

DEFAULT_TITLE = ("meta[name=ArticleTitle]::attr(content)", "h1")
DEFAULT_PUBLISHED = ("meta[name=PubDate]::attr(content)",)
# 标签 in a document's information box -> dates / identifiers
SIGNED_LABELS = ("成文日期", "印发日期")
NUMBER_LABELS = ("发文字号", "文号")
ISSUER_LABELS = ("发文机关", "发文机构", "发布机构", "发文单位")


def _pick(fields: dict[str, str], labels: tuple[str, ...]) -> str:
    return next((fields[label] for label in labels if fields.get(label)), "")


def _as_list(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return default
    return (value,) if isinstance(value, str) else tuple(value)


class ConfiguredListingSpider(ChineseListingSpider):
    name = "cn_listing"

    def check_configured(self) -> None:
        if not self.source.options.get("entries"):
            raise NotConfigured("cn_listing needs options.entries (the CSS of one listing entry)",
                                source=self.source.id)
        self.doc_type = self.source.options.get("doc_type", "notice")
        self.find_case_numbers = bool(self.source.options.get("case_numbers"))
        self.find_doc_numbers = bool(self.source.options.get("doc_numbers", True))

    def option(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        return _as_list(self.source.options.get(key), default)

    def first(self, response: Response, key: str, default: tuple[str, ...]) -> str:
        """The text of the first selector (in option order) that finds something."""
        for css in self.option(key, default):
            found = response.css(css)
            value = clean_line(found.get()) if "::" in css else text_of(found[:1])
            if value:
                return value
        return ""

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        options = self.source.options
        entries = response.css(options["entries"])
        if not entries:
            raise Unparseable(f"listing has no entries matching {options['entries']!r}", url=response.url)
        for entry in entries:
            link = entry if options.get("link") == "self" else entry.css(options.get("link", "a"))[:1]
            date_css = options.get("date", "span")
            shown = " ".join(entry.xpath("./text()").getall()) if date_css == "text" else text_of(entry.css(date_css))
            title = text_of(entry.css(options["entry_title"])) if options.get("entry_title") else ""
            item = self.entry(response, link.attrib.get("href"), title or link.attrib.get("title") or text_of(link),
                              shown)
            if item:
                yield item

    def body(self, response: Response) -> str | None:
        """The first body selector's HTML, without the elements options.exclude names."""
        found = next((found[0] for css in self.option("body", ("#Zoom",)) if (found := response.css(css))), None)
        if found is None:
            return None
        html = found.get()
        for css in self.option("exclude", ()):
            for part in found.css(css).getall():
                html = html.replace(part, "", 1)
        return html

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        body = self.body(response)
        if body is None:
            raise Unparseable(f"document page without a body ({', '.join(self.option('body', ('#Zoom',)))})",
                              url=response.url)
        fields = labelled_fields([text_of(cell) for cell in response.css(self.source.options["fields"])]
                                 if self.source.options.get("fields") else [])
        title = self.first(response, "title", DEFAULT_TITLE)
        published = self.date(self.first(response, "published", DEFAULT_PUBLISHED))
        yield self.document(
            response, title, published, html_to_text(body),
            identifiers={"doc_number": _pick(fields, NUMBER_LABELS)},
            authority=_pick(fields, ISSUER_LABELS) or None,
            dates={"signed": self.date(_pick(fields, SIGNED_LABELS))},
        )
