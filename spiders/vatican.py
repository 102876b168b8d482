"""Vatican City State laws and decrees (vaticanstate.va, a Joomla site). The laws page is one
article listing the acts by year, each a link to its PDF; the PDF of each new recent act is read
(pypdf) for its text, summary (its first article), signing and entry-into-force dates.

Link texts carry the Roman act number and the date, numeric or Italian: "N. DCCII - Decreto ...
recante “Linee Guida in materia di intelligenza artificiale” (16/12/2024)".

    options:
      read_pdfs_days: 120   # acts dated earlier are stored from their listing line, PDF unread
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.generic.pdf import document_date, document_title
from crawler.items import CandidateItem
from crawler.normalize import canonical_url, first_paragraph
from spiders.base import HtmlListingSpider, text_of
from spiders.intl_common import day_first_date, long_date
from spiders.pdf_text import PdfDetails, opening_prose, read_pdf

_ACT_NUMBER = re.compile(r"\bN\.\s*([IVXLCDM]+)\b")
_SHOWN_DATE = re.compile(r"\s*\(\d{1,2}/\d{1,2}/\d{4}\)\s*$")
_ARTICLE_HEADING = re.compile(r"^(?:Art\.|Articolo)\s*1\b")
# The closing line names the place and the day: "Dal Palazzo del Governatorato, 16 dicembre 2024".
_SIGNED = re.compile(r"(?:Dal Palazzo del Governatorato|Dal Vaticano|Città del Vaticano),\s+(.{0,40})")
_EFFECTIVE = re.compile(r"entra(?:no)? in vigore\s+(?:il\s+|dal\s+)?(.{0,30})", re.I)
# The Joomla article body; the page's menus and footer link other PDFs (calendars, forms).
CONTENT = ("div[itemprop='articleBody']", "div.com-content-article__body", "div.item-page", "main")


def act_doc_type(title: str) -> str:
    kind = re.sub(r"^\s*N\.\s*[IVXLCDM]+\s*[-–—]?\s*", "", title).lower()
    if kind.startswith(("legge", "decreto legislativo", "decreto-legge", "motu proprio", "lettera apostolica")):
        return "law"
    return "rule" if kind.startswith(("decreto", "regolamento", "ordinanza", "norme")) else "law"


def act_number(text: str) -> dict[str, str]:
    match = _ACT_NUMBER.search(text)
    return {"vatican_act_number": match.group(1)} if match else {}


def first_article(text: str) -> str:
    """The first clause of Art. 1, which says what the act does; else the first paragraph of prose."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    start = next((i for i, p in enumerate(paragraphs) if _ARTICLE_HEADING.match(p)), None)
    if start is not None:
        body = [p for p in paragraphs[start + 1:] if not (p.startswith("(") and p.endswith(")"))]
        if body:
            return first_paragraph(re.sub(r"^\d{1,2}\.\s+", "", body[0]))
    return opening_prose(text)


def pdf_title(text: str) -> str:
    """"N. DCCII - Decreto ... recante ...": the number line and the heading after it."""
    first, _, rest = text.partition("\n\n")
    heading = rest.partition("\n\n")[0]
    return f"{first} - {heading}" if _ACT_NUMBER.fullmatch(first) and heading else first


def dated(pattern: re.Pattern[str], text: str) -> date | None:
    for match in pattern.finditer(text):
        day = long_date(match.group(1)) or day_first_date(match.group(1))
        if day:
            return day
    return None


class VaticanLawsSpider(PdfDetails, HtmlListingSpider):
    name = "vatican_laws"

    def check_configured(self) -> None:
        self.read_pdfs_days = int(self.source.options.get("read_pdfs_days", 120))

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        content = next((found for css in CONTENT if (found := response.css(css)[:1])), None)
        if content is None:
            raise Unparseable("laws page without the article body (div[itemprop=articleBody])", url=response.url)
        seen: set[str] = set()
        for link in content.css("a[href]"):
            url = response.urljoin(link.attrib["href"])
            title = text_of(link)
            # An act's line names it at length; "PDF", "Scarica" or "Testo in inglese" beside it do not.
            if not url.lower().endswith(".pdf") or len(title.split()) < 4 or url in seen:
                continue
            seen.add(url)
            yield self.item(response, url=url, title=_SHOWN_DATE.sub("", title),
                            published=day_first_date(title) or long_date(title),
                            doc_type=act_doc_type(title), identifiers=act_number(title))
        if not seen:
            raise Unparseable("laws page without links to PDF acts", url=response.url)

    def follow(self, response: Response, items: list[CandidateItem]) -> Iterator[Any]:
        """Recent acts not yet stored get their PDF read; older ones are kept as the listing names them."""
        if not self.is_index(response.url):
            yield from super().follow(response, items)
            return
        stored = self.run.stored_urls([canonical_url(item.url) for item in items])
        new = [item for item in items if canonical_url(item.url) not in stored]  # a read act keeps its text
        since = self.now.date() - timedelta(days=self.read_pdfs_days)
        older = [item for item in new if item.published is None or item.published < since]
        if older:
            yield self.batch(response, older)
        yield from super().follow(response, [item for item in new if item not in older])

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        pdf = read_pdf(response.body, response.url)
        hint = self.listing_hint(response)
        opening = pdf.text[:400]
        # Without the listing's line (a PDF added by URL): the heading's subject, the signing line's date.
        title = hint.title if hint else document_title(pdf.text, pdf.title) or pdf_title(pdf.text)
        dates = {key: day for key, day in (("signed", dated(_SIGNED, pdf.text[-600:])),
                                           ("effective", dated(_EFFECTIVE, pdf.text))) if day}
        published = (hint.published if hint else None) or dates.get("signed") or \
            document_date(pdf.text, response.url, self.source.timezone)
        item = self.item(
            response, title=title, published=published,
            doc_type=act_doc_type(hint.title if hint else opening), summary=first_article(pdf.text),
            text=pdf.text, identifiers=act_number(opening) or (hint.identifiers if hint else {}), dates=dates,
        )
        yield self.merge_hint(response, item)
