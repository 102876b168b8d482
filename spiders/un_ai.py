"""United Nations AI advisory publications: the pages of the Office for Digital and Emerging
Technologies (un.org, Drupal) where the High-level Advisory Body on AI and its successors publish
reports. A page's body links each publication, as a PDF (often once per UN language) or as a
content page; each new one is read: the PDF's text (pypdf) or the page's body.

    options:
      link_pattern: "\\.pdf$|/content/"   # which body links are publications (default)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import clean_line, first_paragraph, html_to_text, local_date
from spiders.base import HtmlListingSpider, text_of
from spiders.intl_common import lead_paragraph, long_date
from spiders.pdf_text import PdfDetails, is_pdf, opening_prose, read_pdf

# The body field, by class, by its RDFa property (kept when themes rename classes), then by element.
BODY = ("div.field--name-body", "[property='schema:text']", "div.region-content article", "article", "main")
# A publication offered in each UN language is read once, in English.
LANGUAGES = {"english", "français", "french", "español", "spanish", "русский", "russian", "中文", "chinese",
             "العربية", "arabic"}
KINDS = (("press release", "press_release"), ("statement", "news"), ("resolution", "law"),
         ("terms of reference", "other"))


def un_doc_type(url_or_title: str, title: str) -> str:
    """A document a page links as a file is a publication (a report); a content page is news."""
    lowered = title.lower()
    default = "report" if url_or_title.lower().endswith(".pdf") else "news"
    return next((doc_type for word, doc_type in KINDS if word in lowered), default)


class UnAiSpider(PdfDetails, HtmlListingSpider):
    name = "un_ai"

    def check_configured(self) -> None:
        self.link_pattern = re.compile(self.source.options.get("link_pattern", r"\.pdf$|/content/"), re.I)

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        body = next((found for css in BODY if (found := response.css(css)[:1])), None)
        if body is None:
            raise Unparseable("page without a Drupal body field (div.field--name-body)", url=response.url)
        seen: set[str] = set()
        for link in body.css("a[href]"):
            url = response.urljoin(link.attrib["href"]).split("#")[0]
            label = text_of(link)
            if not self.link_pattern.search(url) or url in seen or not label:
                continue
            if label.lower() in LANGUAGES - {"english"}:
                continue
            # The paragraph or list item around the link holds its date and lead-in; never the whole body.
            block = link.xpath("ancestor::*[self::p or self::li][1]") or link
            seen.add(url)
            title = self.title_of(label, block)
            yield self.item(response, url=url, title=title, published=long_date(text_of(block)),
                            doc_type=un_doc_type(url, title), summary=self.block_summary(block, title))
        if not seen:
            raise Unparseable("page without links to publications", url=response.url)

    @staticmethod
    def title_of(label: str, block: Any) -> str:
        """The link's text, or for a bare "English" link the heading or lead-in it belongs to."""
        if label.lower() not in LANGUAGES and len(label.split()) >= 3:
            return label
        lead = clean_line(" ".join(block.xpath("./strong//text() | ./b//text()").getall()))
        heading = clean_line(" ".join(block.xpath("preceding-sibling::*[self::h2 or self::h3 or self::h4][1]"
                                                  "//text()").getall()))
        return lead or heading or label

    @staticmethod
    def block_summary(block: Any, title: str) -> str:
        sibling = block.xpath("following-sibling::p[1][not(.//a)]")
        text = text_of(sibling) if sibling else ""
        return text if text and text != title else ""

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        hint = self.listing_hint(response)
        if not is_pdf(response.body):
            yield self.merge_hint(response, self.page_item(response))
            return
        item = self.pdf_item(response)
        if hint is not None:  # the page's words for the report (its abstract); the file's own when it gives none
            item = item.model_copy(update={"title": hint.title, "doc_type": hint.doc_type,
                                           "published": hint.published or item.published,
                                           "summary": hint.summary or item.summary})
        yield self.merge_hint(response, item)

    def pdf_item(self, response: Response) -> CandidateItem:
        pdf = read_pdf(response.body, response.url)
        created = local_date(pdf.created, self.source.timezone) if pdf.created else None
        return self.item(response, title=pdf.title or first_paragraph(pdf.text, 200), published=created,
                         doc_type=un_doc_type(response.url, pdf.title), summary=opening_prose(pdf.text),
                         text=pdf.text)

    def page_item(self, response: Response) -> CandidateItem:
        body = response.css("div.field--name-body").get()
        if body is None:
            raise Unparseable("content page without a body field (div.field--name-body)", url=response.url)
        title = text_of(response.css("h1")[:1])
        shown = response.css("time::attr(datetime)").get() or text_of(response.css("div.field--name-field-date"))
        return self.item(response, title=title, published=self.date(shown), doc_type=un_doc_type(response.url, title),
                         summary=lead_paragraph(body), text=html_to_text(body))
