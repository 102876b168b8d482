"""Federal Register documents API (federalregister.gov/api/v1/documents.json).

Queries the configured topic (`query`) one date slice at a time so no query nears the API's
result cap, asks for an explicit field list, and follows `next_page_url`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response

from crawler.errors import NotConfigured, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import local_date
from spiders.base import JsonApiSpider

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


class FederalRegisterSpider(JsonApiSpider):
    name = "federal_register"
    start_keys = ("documents",)

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

    def query_url(self, first: date, last: date) -> str:
        params: list[tuple[str, str]] = [
            ("conditions[term]", self.source.query or ""),
            ("conditions[publication_date][gte]", first.isoformat()),
            ("conditions[publication_date][lte]", last.isoformat()),
            ("order", "oldest"),
            ("per_page", str(self.source.options.get("per_page", 100))),
        ]
        params += [("fields[]", field) for field in FIELDS]
        return f"{self.url_for('documents')}?{urlencode(params, safe='[]')}"

    def first_requests(self) -> Iterable[Request]:
        for first, last in self.date_slices():
            yield self.request(self.query_url(first, last))

    def page_items(self, response: Response, data: Any) -> Iterator[CandidateItem]:
        if not isinstance(data, dict) or "count" not in data:
            raise Unparseable("expected a documents search result with `count` and `results`", url=response.url)
        for result in data.get("results") or []:
            yield self.document_item(response, result)

    def next_page(self, response: Response, data: Any) -> str | None:
        return data.get("next_page_url")

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
