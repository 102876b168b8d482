"""What Chinese listing -> detail sources share: items built from a title and body text with the
document type, 文号, standard and case numbers found in them, and listing entries resolved from
relative (or protocol-relative, unquoted) links."""

from __future__ import annotations

from datetime import date
from typing import Any

from scrapy.http import Response

from crawler.generic.document import GenericDocument
from crawler.generic.listing import ListingEntry
from crawler.items import CandidateItem
from crawler.normalize import clean_line
from spiders.base import HtmlListingSpider
from spiders.cn_common import (
    case_identifiers,
    cn_doc_type,
    doc_numbers,
    lead_paragraph,
    standard_numbers,
    text_dates,
)


class ChineseListingSpider(HtmlListingSpider):
    name = "cn_listing_base"
    doc_type = "notice"
    # Which numbers a source's documents carry: 文号, standard numbers, case numbers.
    find_doc_numbers = True
    find_standard_numbers = False
    find_case_numbers = False

    def entry(self, response: Response, href: str | None, title: str | None, shown: str | None,
              **fields: Any) -> CandidateItem | None:
        """A listing entry (its detail page is fetched when new); None for an empty row."""
        title = clean_line(title)
        if not href or not title or href.startswith(("javascript", "#")):
            return None
        return self.item(response, url=response.urljoin(href), title=title, published=self.date(shown),
                         doc_type=cn_doc_type(title, self.doc_type), **fields)

    def listing_item(self, response: Response, entry: ListingEntry) -> CandidateItem:
        item = self.entry(response, entry.url, entry.title, None)
        if item is None:
            return super().listing_item(response, entry)
        return item.model_copy(update={"published": entry.published, "extraction": "generic"})

    def from_generic_document(self, response: Response, document: GenericDocument) -> CandidateItem:
        """Type, 文号, standard and case numbers, signing and deadline dates from the words, as for
        a page the source's selectors read."""
        item = self.document(response, document.title, document.published, document.text)
        return item.model_copy(update={"extraction": "generic"})

    def identifiers_in(self, title: str, text: str) -> dict[str, str]:
        head = f"{title}\n{text[:3000]}"  # numbers in the opening lines, not in cited documents
        identifiers: dict[str, str] = {}
        if self.find_doc_numbers and (found := doc_numbers(head)):
            identifiers["doc_number"] = found[0]
        if self.find_standard_numbers and (found := standard_numbers(f"{title}\n{text}")):
            identifiers["standard_number"] = "; ".join(found)
        if self.find_case_numbers:
            identifiers.update(case_identifiers(f"{title}\n{text}"))
        return identifiers

    def document(self, response: Response, title: str, published: date | None, text: str,
                 identifiers: dict[str, str] | None = None, **fields: Any) -> CandidateItem:
        """The detail page's item: listing entry fills the gaps; type and numbers come from the words."""
        hint = self.listing_hint(response)
        title = clean_line(title) or (hint.title if hint else "")
        found = self.identifiers_in(title, text)
        found.update({k: v for k, v in (identifiers or {}).items() if v})
        fields.setdefault("doc_type", cn_doc_type(title, hint.doc_type if hint else self.doc_type))
        worded = {k: self.date(v) for k, v in text_dates(text).items()}
        if fields["doc_type"] not in ("proposed_rule", "draft_standard"):
            worded.pop("comment_deadline", None)
        # A page's labelled dates (成文日期) win over worded ones; a label the page lacks (None) does not.
        given = {k: v for k, v in fields.pop("dates", {}).items() if v}
        dates = {**worded, **(hint.dates if hint else {}), **given}
        fields.setdefault("summary", lead_paragraph(text))
        item = self.item(response, title=title, published=published or (hint.published if hint else None),
                         text=text, identifiers=found, dates={k: v for k, v in dates.items() if v}, **fields)
        return self.merge_hint(response, item)
