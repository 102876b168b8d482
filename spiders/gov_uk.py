"""GOV.UK: the search API and finder Atom feeds name AI publications of the chosen organisations;
the content API gives each new one's document type, organisations, first publication and body.

Search results and feed entries link to web pages (www.gov.uk/government/news/...); those pages'
JSON twin lives at www.gov.uk/api/content/<same path>, which is what a detail fetch requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from crawler.errors import Unparseable
from crawler.generic import sniff
from crawler.items import CandidateItem
from crawler.normalize import html_to_text
from spiders.base import FeedSpider, Result, load_json
from spiders.intl_common import lead_paragraph

HOST = "https://www.gov.uk"
# content_store_document_type / document_type -> Regwatch doc type
DOC_TYPES = {
    "press_release": "press_release", "news_story": "news", "speech": "news", "oral_statement": "news",
    "written_statement": "news", "correspondence": "other", "guidance": "guidance",
    "statutory_guidance": "guidance", "detailed_guide": "guidance", "policy_paper": "guidance",
    "consultation": "notice", "open_consultation": "notice", "closed_consultation": "notice",
    "consultation_outcome": "notice", "notice": "notice", "research": "report", "independent_report": "report",
    "corporate_report": "report", "official_statistics": "report", "national_statistics": "report",
    "transparency": "report", "impact_assessment": "report", "decision": "judgment",
    "cma_case": "judgment", "statutory_instrument": "law",
}


def gov_uk_doc_type(document_type: str | None) -> str:
    return DOC_TYPES.get(document_type or "", "other")


def organisation_names(organisations: list[dict[str, Any]]) -> str | None:
    return "; ".join(o["title"] for o in organisations if o.get("title")) or None


class GovUkSpider(FeedSpider):
    name = "gov_uk"
    fetch_details = True

    def request(self, url: str, meta: dict | None = None, **kwargs: Any) -> Request:
        parts = urlsplit(url)
        if parts.netloc == "www.gov.uk" and not parts.path.startswith(("/api/", "/search/")):
            url = f"{HOST}/api/content{parts.path}"
        return super().request(url, meta, **kwargs)

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        if not self.is_index(url):
            return self.parse_content
        return self.parse_feed if urlsplit(url).path.endswith(".atom") else self.parse_search

    def parser_for_kind(self, url: str, kind: str) -> Callable[[Response], Iterable[Result]]:
        """A page of www.gov.uk itself (saved from a browser) is read as a document page; crawls ask
        the content API for the same path."""
        own = self.parser_for(url)
        return self.parse_detail if kind in (sniff.HTML, sniff.TEXT) and own == self.parse_content else own

    def parse_search(self, response: Response) -> Iterator[CandidateItem]:
        data = load_json(response)
        if not isinstance(data, dict) or "results" not in data:
            raise Unparseable("expected a search API answer with `results`", url=response.url)
        for result in data["results"]:
            link = result.get("link") or ""
            if not link.startswith("/"):
                continue  # an external link has no content item
            yield self.item(
                response, url=HOST + link, title=result.get("title") or "",
                published=self.date(result.get("public_timestamp")),
                doc_type=gov_uk_doc_type(result.get("content_store_document_type") or result.get("format")),
                authority=organisation_names(result.get("organisations") or []),
                summary=result.get("description") or "",
            )

    def parse_content(self, response: Response) -> Iterator[CandidateItem]:
        data = load_json(response)
        if not isinstance(data, dict) or not data.get("base_path"):
            raise Unparseable("expected a content API item with `base_path`", url=response.url)
        details, links = data.get("details") or {}, data.get("links") or {}
        body = details.get("body") or ""
        if isinstance(body, list):  # multi-format bodies: [{content_type, content}, ...]
            body = next((part.get("content", "") for part in body if part.get("content_type") == "text/html"), "")
        item = self.item(
            response, url=HOST + data["base_path"], title=data.get("title") or "",
            published=self.date(data.get("first_published_at") or details.get("first_public_at")),
            doc_type=gov_uk_doc_type(data.get("document_type")),
            authority=organisation_names(links.get("organisations") or []),
            summary=data.get("description") or lead_paragraph(body),
            text=html_to_text(body),
            identifiers={"gov_uk_content_id": data.get("content_id")},
        )
        updated = self.date(data.get("public_updated_at"))
        if updated and updated != item.published:
            item.dates["updated"] = updated
        closes = self.date(details.get("closing_date"))  # consultations: the last day to respond
        if closes:
            item.dates["comment_deadline"] = closes
        yield self.merge_hint(response, item)
