"""Garante per la protezione dei dati personali (garanteprivacy.it, Liferay): search listings
(newsletters; everything filed under "Intelligenza artificiale") and the docweb pages they link.

Cards show a numeric date and the document's kind (Tipologia); titles often carry an Italian long
date ("30 gennaio 2025") and end with the docweb number, the document's stable id ("[10097450]").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.generic.dates import short_year_date
from crawler.generic.document import GenericDocument
from crawler.items import CandidateItem
from crawler.normalize import clean_line, html_to_text
from spiders.base import HtmlListingSpider, text_of
from spiders.intl_common import day_first_date, known, lead_paragraph, long_date

_DOCWEB = re.compile(r"/docweb/(\d+)")
_TITLE_NUMBER = re.compile(r"\s*\[(?:doc\. web n\. )?\d+\]\s*$")
# Press releases close with their dateline: "Roma, 30 gennaio 2025".
_DATELINE = re.compile(r"\bRoma,\s+\d{1,2}°?\s+\w+\s+\d{4}\s*$")
# Tipologia -> doc type; the first matching prefix wins.
KINDS = (
    ("comunicato", "press_release"), ("newsletter", "news"), ("linee guida", "guidance"),
    ("parere", "guidance"), ("provvedimento", "judgment"), ("ordinanza", "judgment"),
    ("ammonimento", "judgment"), ("decisione", "judgment"), ("audizion", "news"), ("intervent", "news"),
    ("intervist", "news"), ("relazion", "report"), ("regolament", "rule"),
)


def garante_doc_type(kind: str, title: str) -> str:
    for text in (kind, title):
        lowered = text.lower()
        for prefix, doc_type in KINDS:
            if lowered.startswith(prefix):
                return doc_type
    return "other"


class GaranteSpider(HtmlListingSpider):
    name = "garante"

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        cards = response.css("div.card-risultato")
        if not cards and not response.css("div.blocco-risultati"):
            raise Unparseable("search page without a div.blocco-risultati result block", url=response.url)
        for card in cards:
            link = card.css("a.titolo-risultato")
            href = link.attrib.get("href", "")
            number = _DOCWEB.search(href)
            title = clean_line(link.attrib.get("title") or text_of(link))
            kind = next((text_of(a) for a in card.css("a[href*='/search/tipologia/']")), "")
            yield self.item(
                response, url=response.urljoin(href), title=_TITLE_NUMBER.sub("", title),
                published=day_first_date(text_of(card.css("div.data-risultato"))) or long_date(title),
                doc_type=garante_doc_type(kind, title),
                identifiers=known(garante_docweb=number.group(1) if number else None),
                summary=text_of(card.css("p.estratto-risultato")),
            )

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        bodies = response.css("div#div-to-print div.journal-content-article").getall()
        if not bodies:
            raise Unparseable("docweb page without div#div-to-print", url=response.url)
        body = max(bodies, key=len)  # social and related-content portlets reuse the class
        title = clean_line(response.css("section#content h1::text, section#content h2::text").get())
        title = _TITLE_NUMBER.sub("", title)
        shown = text_of(response.css("span[property='dc:date']"))
        number = _DOCWEB.search(response.url)
        hint = self.listing_hint(response)
        item = self.item(
            response, title=title,
            published=day_first_date(shown) or short_year_date(shown) or long_date(shown) or long_date(title),
            doc_type=hint.doc_type if hint else self.kind_from_page(title, html_to_text(body)),
            identifiers=known(garante_docweb=number.group(1) if number else None),
            summary=lead_paragraph(body), text=html_to_text(body),
        )
        yield self.merge_hint(response, item)

    def from_generic_document(self, response: Response, document: GenericDocument) -> CandidateItem:
        """A page of the site the docweb selectors do not fit (another portlet, a redesign)."""
        number = _DOCWEB.search(response.url)
        return super().from_generic_document(response, document).model_copy(update={
            "title": _TITLE_NUMBER.sub("", document.title),
            "doc_type": self.kind_from_page(document.title, document.text),
            "identifiers": known(garante_docweb=number.group(1) if number else None)})

    @staticmethod
    def kind_from_page(title: str, text: str) -> str:
        """A docweb page reached without its search card: typed by its title, else by its dateline."""
        doc_type = garante_doc_type("", title)
        return "press_release" if doc_type == "other" and _DATELINE.search(text) else doc_type
