"""How every source reads a response by what it is, with the generic readers behind its own.

A feed or a sitemap is read as one wherever it comes from. Any other response goes to the parser
the source's URL routing picks (parser_for); a document page of a source that has no detail parser
of its own is read by the generic document reader. When a source's own selectors find nothing
(Unparseable, a listing without entries, a document without title or date), the generic reader
reads the page: its items carry extraction "generic" and a SelectorMissed warning says what missed,
so the source's health shows it `degraded` instead of losing the documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import Any

import lxml.html
from scrapy.http import Response

from crawler.errors import NoDocument, SelectorMissed, Unparseable, WrongKind
from crawler.generic import sniff
from crawler.generic.dates import url_date
from crawler.generic.document import GenericDocument, read_document
from crawler.generic.listing import ListingEntry, read_listing
from crawler.generic.pdf import document_date, document_title
from crawler.generic.sitemap import SitemapEntry, read_sitemap
from crawler.items import CandidateItem
from crawler.normalize import first_paragraph

Parser = Callable[[Response], Iterable[Any]]
SITEMAP_CHILDREN = 5  # a sitemap index's newest child sitemaps read per run (options.sitemap_children)


class ResponseReading:
    """Mixin of RegwatchSpider: what a source reads besides its own pages, and the fallbacks."""

    # Whether the source's parse_detail reads PDF documents (else the generic PDF reader does).
    reads_pdf = False

    # --- dispatch ------------------------------------------------------------------------------

    def read(self, response: Response, kind: str) -> list[Any]:
        if kind == sniff.FEED:
            return list(self.parse_feed(response))
        if kind == sniff.SITEMAP:
            return list(self.parse_sitemap(response))
        if kind == sniff.PDF and not self.reads_pdf:
            return list(self.read_generic_pdf(response))
        own = self.parser_for_kind(response.url, kind)
        if kind not in (sniff.HTML, sniff.TEXT, sniff.PDF):
            return list(own(response))
        return self.read_with_fallback(response, own, kind)

    def parser_for_kind(self, url: str, kind: str) -> Parser:
        """The source's own parser for this URL; sources whose URL routing names a JSON parser for
        every page override this so that their HTML document pages reach parse_detail."""
        return self.parser_for(url)

    def read_with_fallback(self, response: Response, own: Parser, kind: str) -> list[Any]:
        generic = self.generic_reader_for(response, own, kind)
        try:
            results = list(own(response))
        except (NoDocument, WrongKind):
            raise
        except Unparseable as miss:
            if generic is None:
                raise
            return self.read_generically(response, generic, miss.message)
        if generic is None:
            if not results and kind != sniff.PDF:
                raise Unparseable("the generic reader found no document on the page (no title, or an error page)",
                                  url=response.url)
            return results
        if generic == self.read_generic_listing and not results:
            return self.read_generically(response, generic, "the listing's entry selectors found no entries",
                                         required=False)
        if generic == self.read_generic_listing and _untitled(results):
            return self.titled_from_listing(response, results)
        if generic in (self.read_generic_document, self.read_generic_pdf):
            return self.completed(response, results, generic)
        return results

    def generic_reader_for(self, response: Response, own: Parser, kind: str) -> Parser | None:
        """None when the source's parser is the generic one already (nothing to fall back to)."""
        if kind == sniff.PDF:
            return self.read_generic_pdf
        if getattr(own, "__func__", None) in (ResponseReading.parse_detail, ResponseReading.read_generic_document):
            return None
        if self.is_index(response.url) or getattr(own, "__name__", "") == "parse_listing":
            return self.read_generic_listing
        return self.read_generic_document

    def read_generically(self, response: Response, generic: Parser, missed: str, required: bool = True) -> list[Any]:
        found = list(generic(response))
        if not any(isinstance(result, CandidateItem) for result in found):
            if not required:
                return []
            raise Unparseable(f"{missed}; the generic reader found no document either", url=response.url)
        return [SelectorMissed(f"{missed}; read by the generic reader", url=response.url), *found]

    def completed(self, response: Response, results: list[Any], generic: Parser) -> list[Any]:
        """A document the source's selectors read without a title or a date gets them from the
        generic reader (after the listing's entry, which the source's parser already merged)."""
        lacking = [r for r in results if isinstance(r, CandidateItem) and (not r.title or r.published is None)]
        if not lacking or len(results) != 1:
            return results
        found = next((r for r in generic(response) if isinstance(r, CandidateItem)), None)
        item = lacking[0]
        fills = {key: getattr(found, key) for key in ("title", "published") if found and not getattr(item, key)
                 and getattr(found, key)}
        if not fills:
            return results
        missed = " and ".join("title" if key == "title" else "date" for key in fills)
        return [SelectorMissed(f"the source's selectors found no {missed} on the page; read by the generic "
                               "reader", url=response.url),
                item.model_copy(update={**fills, "extraction": "generic"})]

    def titled_from_listing(self, response: Response, results: list[Any]) -> list[Any]:
        """Listing entries the source's selectors found without titles take them from the generic reader."""
        entries = {self.listing_item(response, e).url: e for e in self.listing_entries(response)}
        kept, filled = [], 0
        for result in results:
            if isinstance(result, CandidateItem) and not result.title:
                entry = entries.get(result.url)
                if entry is None:
                    continue
                result, filled = result.model_copy(update={"title": entry.title, "extraction": "generic"}), filled + 1
            kept.append(result)
        if filled:
            kept.insert(0, SelectorMissed("the listing's title selectors found no titles; read by the generic reader",
                                          url=response.url))
        return kept

    # --- the generic readers -------------------------------------------------------------------

    def parse_detail(self, response: Response) -> Iterable[Any]:
        """A document page: sources with detail pages of their own override this."""
        return self.read_generic_document(response)

    def read_generic_document(self, response: Response) -> Iterator[CandidateItem]:
        document = read_document(response.text, response.url, self.source.timezone, self.month_first,
                                 dated_url=self.url_date)
        if document is not None:
            yield self.merge_hint(response, self.from_generic_document(response, document))

    def read_generic_listing(self, response: Response) -> Iterator[CandidateItem]:
        for entry in self.listing_entries(response):
            yield self.listing_item(response, entry)

    def listing_entries(self, response: Response) -> list[ListingEntry]:
        return read_listing(response.text, response.url, self.source.timezone, self.month_first,
                            link_of=self.link_of)

    def read_generic_pdf(self, response: Response) -> Iterator[CandidateItem]:
        from spiders.pdf_text import read_pdf

        pdf = read_pdf(response.body, response.url)
        title = document_title(pdf.text, pdf.title)
        published = document_date(pdf.text, response.url, self.source.timezone) or \
            (pdf.created.date() if pdf.created else None)
        document = GenericDocument(title, published, pdf.text, first_paragraph(pdf.text))
        yield self.merge_hint(response, self.from_generic_document(response, document))

    # --- hooks: a source's own patterns inside the generic readers ------------------------------

    @property
    def month_first(self) -> bool:
        """US pages write 01/07/2025 for January 7."""
        return (self.source.jurisdiction or "").startswith("US")

    def url_date(self, url: str) -> date | None:
        """The publication date a URL of this source carries (the shared patterns by default)."""
        return url_date(url)

    def link_of(self, link: lxml.html.HtmlElement) -> str | None:
        """Where a listing link leads when it is not its href (an onclick, a data attribute)."""
        return None

    def from_generic_document(self, response: Response, document: GenericDocument) -> CandidateItem:
        """A generically read document as this source's item; sources add their identifiers and types."""
        return self.item(response, title=document.title, published=document.published, summary=document.summary,
                         text=document.text, extraction="generic")

    def listing_item(self, response: Response, entry: ListingEntry) -> CandidateItem:
        """A generically read listing entry as this source's item (its detail page is read as usual)."""
        return self.item(response, url=entry.url, title=entry.title, published=entry.published,
                         extraction="generic")

    # --- sitemaps ------------------------------------------------------------------------------

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """A urlset's pages as items (news sitemaps give title and date; other pages are read from
        their own page); a sitemap index's newest sitemaps are fetched in turn."""
        sitemap = read_sitemap(response.body, response.url, self.source.timezone)
        since = self.run.lookback_start if self.run is not None else None
        if sitemap.is_index:
            children = sorted(sitemap.entries, key=lambda e: e.lastmod or date.min, reverse=True)
            wanted = int(self.source.options.get("sitemap_children", SITEMAP_CHILDREN))
            for entry in children[:wanted]:
                if since is None or entry.lastmod is None or entry.lastmod >= since - timedelta(days=1):
                    yield self.request(entry.url, meta={"index": True})
            return
        for entry in sitemap.entries:
            day = entry.published or entry.lastmod
            if self.wants_sitemap_url(entry.url) and (since is None or day is None or day >= since):
                yield self.sitemap_item(response, entry)

    def wants_sitemap_url(self, url: str) -> bool:
        """Which of a sitemap's pages are this source's documents (options include / exclude)."""
        options = self.source.options
        include, exclude = options.get("include"), options.get("exclude")
        if include and not any(re.search(pattern, url) for pattern in _as_list(include)):
            return False
        return not (exclude and any(re.search(pattern, url) for pattern in _as_list(exclude)))

    def sitemap_item(self, response: Response, entry: SitemapEntry) -> CandidateItem:
        """A sitemap page; without a news title it is a hint whose page is fetched for the title."""
        return self.item(response, url=entry.url, title=entry.title, published=entry.published or entry.lastmod,
                         language=entry.language if entry.language and len(entry.language) <= 5 else None)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _untitled(results: list[Any]) -> bool:
    return any(isinstance(r, CandidateItem) and not r.title for r in results)

