"""Federal Register documents API (federalregister.gov/api/v1/documents.json).

Queries the configured topic (`query`) one date slice at a time so no query nears the API's
result cap, asks for an explicit field list, and follows `next_page_url`. With `urls.facets`
(the API's daily counts, /api/v1/documents/facets/daily), each slice starts with the counts for
the same conditions and ends by reconciling them with what its pages listed: a day with fewer
documents than the API counts is recorded as an `incomplete` error on the run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import Request, Response

from crawler.errors import Incomplete, NotConfigured, Unparseable
from crawler.generic.document import GenericDocument
from crawler.items import CandidateItem
from crawler.normalize import local_date
from crawler.storage.completeness import DayCount, record_day_counts
from spiders.base import JsonApiSpider, Result, load_json

FIELDS = (
    "abstract", "action", "agencies", "citation", "comments_close_on", "dates", "docket_ids",
    "document_number", "effective_on", "executive_order_number", "html_url", "pdf_url",
    "presidential_document_number", "proclamation_number", "publication_date",
    "regulation_id_numbers", "signing_date", "subtype", "title", "type",
)
PRESIDENTIAL_SUBTYPES = {
    "Executive Order": "executive_order",
    "Memorandum": "presidential_memorandum",
    "Proclamation": "proclamation",
    "Notice": "notice",
}
DOC_TYPES = {"Rule": "rule", "Proposed Rule": "proposed_rule", "Notice": "notice"}
_PAGE_NUMBER = re.compile(r"/documents/\d{4}/\d{2}/\d{2}/(\d{4}-\d{4,6})/")
_BYLINE = re.compile(r"\bAn? (Proposed Rule|Rule|Notice) by\b")


def fr_doc_type(result: dict[str, Any]) -> str:
    if result.get("type") == "Presidential Document":
        return PRESIDENTIAL_SUBTYPES.get(result.get("subtype") or "", "other")
    return DOC_TYPES.get(result.get("type") or "", "other")


def agency_names(result: dict[str, Any]) -> str | None:
    """The issuing agencies, most specific first: a parent department listed beside its own
    bureau is left out."""
    agencies = result.get("agencies") or []
    parents = {a.get("parent_id") for a in agencies if a.get("parent_id")}
    names = [a.get("name") or (a.get("raw_name") or "").title() for a in agencies if a.get("id") not in parents]
    return "; ".join(n for n in names if n) or None


def slice_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class FederalRegisterSpider(JsonApiSpider):
    name = "federal_register"
    start_keys = ("documents",)
    # The API allows 5 requests/s: config `crawl.delay_s: 0.25` spaces requests evenly (Scrapy's
    # random 0.5x-1.5x spread would let bursts of 8/s through).
    custom_settings = {"RANDOMIZE_DOWNLOAD_DELAY": False}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.day_counts: list[DayCount] = []  # reconciled days waiting to be recorded on the run

    def check_configured(self) -> None:
        if not self.source.query:
            raise NotConfigured("the Federal Register source needs a `query` (e.g. artificial intelligence)",
                                source=self.source.id)

    @property
    def slice_days(self) -> int:
        return int(self.source.options.get("slice_days", 7))

    def date_slices(self) -> list[tuple[date, date]]:
        """[start, end] windows from the lookback start to today (Washington's calendar)."""
        today = local_date(self.now, self.source.timezone)
        start, slices = self.run.lookback_start, []
        while start <= today:
            end = min(start + timedelta(days=self.slice_days - 1), today)
            slices.append((start, end))
            start = end + timedelta(days=1)
        return slices

    def conditions(self, first: date, last: date) -> list[tuple[str, str]]:
        return [
            ("conditions[term]", self.source.query or ""),
            ("conditions[publication_date][gte]", first.isoformat()),
            ("conditions[publication_date][lte]", last.isoformat()),
        ]

    def query_url(self, first: date, last: date) -> str:
        params = self.conditions(first, last) + [
            ("order", "oldest"), ("per_page", str(self.source.options.get("per_page", 100)))]
        params += [("fields[]", field) for field in FIELDS]
        return f"{self.url_for('documents')}?{urlencode(params, safe='[]')}"

    def facets_url(self, first: date, last: date) -> str:
        return f"{self.url_for('facets')}?{urlencode(self.conditions(first, last), safe='[]')}"

    def first_requests(self) -> Iterable[Request]:
        for first, last in self.date_slices():
            if "facets" in self.source.urls:
                yield self.request(self.facets_url(first, last), meta={"slice": (first, last)})
            else:
                yield self.request(self.query_url(first, last))

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        if "facets" in self.source.urls and urlsplit(url).path == urlsplit(self.source.urls["facets"]).path:
            return self.parse_facets
        return self.parse_api_page

    # --- the API's own daily counts ------------------------------------------------------------

    def parse_facets(self, response: Response) -> Iterator[Result]:
        """Daily counts ({"2025-01-28": {"count": 1, "name": "01/28/2025"}, ...}), then the slice's
        documents query, carrying the counts to reconcile at its last page."""
        data = load_json(response)
        if not isinstance(data, dict) or not all(isinstance(v, dict) and "count" in v for v in data.values()):
            raise Unparseable("expected daily facet counts {date: {count, name}}", url=response.url)
        expected = {day: int(entry["count"]) for day, entry in data.items()}
        first, last = self.slice_of(response, expected)
        yield self.request(self.query_url(first, last),
                           meta={"expected": {d.isoformat(): expected.get(d.isoformat(), 0)
                                              for d in slice_days(first, last)}, "found": {}})

    def slice_of(self, response: Response, expected: dict[str, int]) -> tuple[date, date]:
        meta_slice = response.meta.get("slice") if response.request is not None else None
        if meta_slice:
            return meta_slice
        days = sorted(date.fromisoformat(day) for day in expected) or [local_date(self.now, self.source.timezone)]
        return days[0], days[-1]

    # --- documents pages -----------------------------------------------------------------------

    def parse_api_page(self, response: Response) -> Iterator[Result]:
        data = load_json(response)
        if not isinstance(data, dict) or "count" not in data:
            raise Unparseable("expected a documents search result with `count` and `results`", url=response.url)
        results = data.get("results") or []
        for result in results:
            yield self.document_item(response, result)
        meta = response.meta if response.request is not None else {}
        page = meta.get("page", 1)
        found = Counter(meta.get("found") or {})
        found.update(str(result.get("publication_date")) for result in results)
        next_url = data.get("next_page_url")
        if next_url and page < self.max_pages:
            yield self.request(next_url, meta={**{k: meta[k] for k in ("expected",) if k in meta},
                                               "found": dict(found), "page": page + 1})
        elif "expected" in meta:
            yield from (DayCount(date.fromisoformat(day), count, found.get(day, 0))
                        for day, count in sorted(meta["expected"].items()))

    def parse_response(self, response: Response) -> list[Result]:
        results = super().parse_response(response)
        self.day_counts += [r for r in results if isinstance(r, DayCount)]
        return [r for r in results if not isinstance(r, DayCount)]

    def handle(self, response: Response) -> Iterator[Any]:
        yield from super().handle(response)
        if self.day_counts and self.run is not None:
            counts, self.day_counts = self.day_counts, []
            record_day_counts(self.run.session, self.run.run_id, self.source.id, counts)
            for gap in (c for c in counts if c.found < c.expected):
                self.run.record(Incomplete(
                    f"{gap.day}: the API counts {gap.expected} documents for the query, the crawl got "
                    f"{gap.found} (completeness {gap.completeness:.0%})", url=response.url))

    def document_item(self, response: Response, result: dict[str, Any]) -> CandidateItem:
        identifiers = {
            "fr_document_number": result.get("document_number"),
            "executive_order_number": result.get("executive_order_number"),
            "proclamation_number": result.get("proclamation_number"),
            "fr_citation": result.get("citation"),
            "docket_id": "; ".join(result.get("docket_ids") or []),
            "regulation_id_number": "; ".join(result.get("regulation_id_numbers") or []),
        }
        dates = {
            "signed": self.date(result.get("signing_date")),
            "effective": self.date(result.get("effective_on")),
            "comment_deadline": self.date(result.get("comments_close_on")),
        }
        return self.item(
            response,
            url=result.get("html_url") or response.url,
            title=result.get("title") or "",
            published=self.date(result.get("publication_date")),
            authority=agency_names(result),
            doc_type=fr_doc_type(result),
            identifiers={k: str(v) for k, v in identifiers.items() if v},
            summary=result.get("abstract") or "",
            text="\n\n".join(p for p in (result.get("action"), result.get("dates")) if p),
            dates={k: v for k, v in dates.items() if v},
        )

    # --- a document's own page on federalregister.gov, read by the generic reader ---------------

    def from_generic_document(self, response: Response, document: GenericDocument) -> CandidateItem:
        """The page's URL names the document number; its byline ("A Rule by the …") its type."""
        number = _PAGE_NUMBER.search(response.url)
        kind = _BYLINE.search(" ".join(response.xpath("//body//text()").getall())[:20_000])
        return super().from_generic_document(response, document).model_copy(update={
            "identifiers": {"fr_document_number": number.group(1)} if number else {},
            "doc_type": DOC_TYPES.get(kind.group(1), "other") if kind else "other"})
