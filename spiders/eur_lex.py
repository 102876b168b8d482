"""EUR-Lex: an Official Journal RSS feed (kept to AI acts by title) and a full-text search for AI
documents, newest first. Both give the CELEX number, which names the act, its sector and its kind.

EUR-Lex's bot protection answers some clients with an empty 202 or an HTML page instead of the
feed: that is reported as blocked, never parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import unquote

import lxml.html
from scrapy.http import Response

from crawler.errors import SourceBlocked, Unparseable
from crawler.generic.document import GenericDocument
from crawler.generic.listing import ListingEntry
from crawler.items import CandidateItem
from crawler.normalize import clean_line
from spiders.base import FeedSpider, Result, text_of
from spiders.intl_common import day_first_date

_CELEX_PREFIX = re.compile(r"^\s*CELEX:([0-9A-Z()]+):\s*")
_CELEX = re.compile(r"CELEX:([0-9A-Z()]+)")
DEFAULT_TITLE_TERMS = r"artificial intelligence|\bAI\b|algorithm|automated decision|machine learning"


def celex_doc_type(celex: str, title: str) -> str:
    """Sector digit and type letter of a CELEX number (32024R1689: sector 3, R = regulation)."""
    sector, letter = celex[:1], celex[5:6]
    if sector == "5":
        return "bill" if letter == "P" else "report"  # PC = Commission proposal, DC = communication
    if sector == "6":
        return "judgment"
    if sector == "3" and letter in "RLD":
        # The Commission's implementing and delegated acts apply the Parliament's and Council's laws.
        return "rule" if title.lower().startswith("commission") else "law"
    if sector == "3" and letter in "HX":
        return "guidance"  # recommendations
    if sector in ("C", "E"):
        return "notice"
    return "other"


class EurLexSpider(FeedSpider):
    name = "eur_lex"

    def check_configured(self) -> None:
        self.title_terms = re.compile(self.source.options.get("title_terms", DEFAULT_TITLE_TERMS), re.I)

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        if "/search.html" in url:
            return self.parse_search
        # A configured feed answering with a page is bot protection; any other page is a document's.
        return self.parse_feed if self.is_index(url) else self.parse_detail

    def parse_feed(self, response: Response) -> Iterator[Result]:
        if not response.body.strip():
            raise SourceBlocked(f"HTTP {response.status} with an empty body instead of the feed (EUR-Lex bot "
                                "protection)", url=response.url)
        if response.body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html")):
            raise SourceBlocked("an HTML page instead of the feed (EUR-Lex bot protection)", url=response.url)
        yield from super().parse_feed(response)

    def entry_item(self, response: Response, entry: Any) -> CandidateItem | None:
        raw_title = entry.get("title", "")
        match = _CELEX_PREFIX.match(raw_title) or _CELEX.search(entry.get("link", ""))
        title = _CELEX_PREFIX.sub("", raw_title)
        if not self.title_terms.search(title):
            return None  # the Official Journal feed carries every act; this source watches AI ones
        celex = match.group(1) if match else ""
        return self.item(
            response, url=entry.get("link", "").replace("/./", "/"), title=title,
            published=self.entry_date(entry), doc_type=celex_doc_type(celex, title),
            authority=clean_line(entry.get("author", "")).rstrip(",") or None,
            identifiers={"celex": celex}, summary=entry.get("summary", ""),
        )

    def parse_search(self, response: Response) -> Iterator[CandidateItem]:
        results = response.css("div.SearchResult")
        if not results and not response.css("title::text").re(r"Search results"):
            raise Unparseable("not a EUR-Lex search results page", url=response.url)
        for result in results:
            link = result.css("h2 a.title")
            fields = dict(zip((clean_line(t).rstrip(": ") for t in result.css("dt").xpath("string()").getall()),
                              (clean_line(d) for d in result.css("dd").xpath("string()").getall()), strict=False))
            title, celex = text_of(link), fields.get("CELEX number", "")
            journal = text_of(result.css("p.textUnderTitle")).split(" (")[0]  # drop the language list
            adopted = day_first_date(fields.get("Date of document"))
            yield self.item(
                response, url=link.attrib.get("name") or response.urljoin(link.attrib.get("href", "")),
                title=title, published=day_first_date(journal) or adopted,
                doc_type=celex_doc_type(celex, title), authority=fields.get("Author"),
                identifiers={"celex": celex, "oj_reference": journal.split(", ELI")[0]},
                summary=journal, dates={"adopted": adopted} if adopted else {},
            )

    # --- the generic listing reader, when the search page's classes change ----------------------

    def link_of(self, link: lxml.html.HtmlElement) -> str | None:
        """A result's title link names the act's plain address (no session query) in its name attribute."""
        name = link.get("name") or ""
        return name if name.startswith("https://eur-lex.europa.eu/") else None

    def from_generic_document(self, response: Response, document: GenericDocument) -> CandidateItem:
        """A document's own page (/legal-content/…?uri=CELEX:…, /eli/…): its CELEX number from the
        URL or the page's ELI metadata names the act and its kind."""
        match = _CELEX.search(unquote(response.url))
        celex = match.group(1) if match else (response.css("meta[property='eli:id_local']::attr(content)").get()
                                              or response.css("meta[name='WT.z_docID']::attr(content)").get() or "")
        return super().from_generic_document(response, document).model_copy(update={
            "doc_type": celex_doc_type(celex, document.title), "identifiers": {"celex": celex} if celex else {}})

    def listing_item(self, response: Response, entry: ListingEntry) -> CandidateItem:
        match = _CELEX.search(unquote(entry.url))
        celex = match.group(1) if match else ""
        return super().listing_item(response, entry).model_copy(update={
            "doc_type": celex_doc_type(celex, entry.title), "identifiers": {"celex": celex} if celex else {}})
