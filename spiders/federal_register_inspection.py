"""Federal Register public inspection desk (federalregister.gov/api/v1/public-inspection-documents).

Documents are filed here a day or more before the Federal Register prints them. Each run reads
the whole desk (`current.json`, kept when a document is on topic) and the desk's issues of the
last `options.days_back` days searched for the topic (`query`, `conditions[available_on]`), so a
missed run loses nothing. A filing and the Federal Register document it becomes share their
document number, which links them into one item (storage.links). A filing withdrawn from the
desk (title emptied, no `filed_at`, an editorial note) is a new version of the stored item,
never a new item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import Request, Response

from crawler.errors import NotConfigured, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import clean_line, html_to_text, local_date
from crawler.relevance import score
from crawler.storage.documents import stored_by_identifier
from spiders.base import JsonApiSpider, Result
from spiders.federal_register import DOC_TYPES, agency_names

FIELDS = (
    "agencies", "agency_names", "docket_numbers", "document_number", "editorial_note", "excerpts",
    "filed_at", "filing_type", "html_url", "num_pages", "pdf_url", "publication_date", "subject_1",
    "subject_2", "subject_3", "title", "toc_doc", "toc_subject", "type",
)
WITHDRAWN = "Withdrawn: "
# The desk gives presidential documents no subtype; their titles name it ("... (EO 14179)").
PRESIDENTIAL_TITLES = (
    (re.compile(r"\b(?:EO|E\.O\.|Executive Order)\s+(\d{5})\b"), "executive_order", "executive_order_number"),
    (re.compile(r"\bProclamation\s+(\d{4,5})\b"), "proclamation", "proclamation_number"),
    (re.compile(r"\bMemorandum of\b"), "presidential_memorandum", None),
)


def is_withdrawn(result: dict[str, Any]) -> bool:
    return not result.get("filed_at") and (not (result.get("title") or "").strip()
                                           or "withdraw" in (result.get("editorial_note") or "").lower())


def presidential_type(title: str) -> tuple[str, dict[str, str]]:
    for pattern, doc_type, scheme in PRESIDENTIAL_TITLES:
        match = pattern.search(title)
        if match:
            return doc_type, ({scheme: match.group(1)} if scheme else {})
    return "other", {}


class FederalRegisterInspectionSpider(JsonApiSpider):
    name = "federal_register_inspection"
    custom_settings = {"RANDOMIZE_DOWNLOAD_DELAY": False}  # 5 requests/s at most, as the documents API

    def check_configured(self) -> None:
        if not self.source.query:
            raise NotConfigured("the public inspection source needs a `query` (e.g. artificial intelligence)",
                                source=self.source.id)

    def search_url(self, day: date) -> str:
        params = [("conditions[term]", self.source.query or ""), ("conditions[available_on]", day.isoformat()),
                  ("per_page", "100")] + [("fields[]", field) for field in FIELDS]
        return f"{self.url_for('search')}?{urlencode(params, safe='[]')}"

    def first_requests(self) -> Iterable[Request]:
        yield self.request(self.url_for("current"))
        today = local_date(self.now, self.source.timezone)
        days_back = int(self.source.options.get("days_back", 2))
        for offset in range(days_back, -1, -1):
            yield self.request(self.search_url(today - timedelta(days=offset)))

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        return self.parse_api_page

    def page_items(self, response: Response, data: Any) -> Iterator[CandidateItem]:
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise Unparseable("expected public inspection documents with `count` and `results`", url=response.url)
        whole_desk = urlsplit(response.url).path == urlsplit(self.url_for("current")).path
        for result in data["results"]:
            item = self.filing_item(response, result)
            # The whole desk is every agency's filings: keep those on topic (a topic search needs
            # no filter), and every withdrawal, which only ever updates a stored item.
            if not whole_desk or is_withdrawn(result) or self.on_topic(item, result):
                yield item

    def next_page(self, response: Response, data: Any) -> str | None:
        return data.get("next_page_url")

    def on_topic(self, item: CandidateItem, result: dict[str, Any]) -> bool:
        return bool(score(item.title, html_to_text(result.get("excerpts") or ""), tuple(self.source.keywords)).terms)

    def filing_item(self, response: Response, result: dict[str, Any]) -> CandidateItem:
        number = result.get("document_number") or ""
        if not number:
            raise Unparseable("a public inspection document without a document_number", url=response.url)
        title = clean_line(result.get("title") or " ".join(
            result.get(k) or "" for k in ("subject_1", "subject_2", "subject_3")))
        doc_type, identifiers = DOC_TYPES.get(result.get("type") or "", "other"), {}
        if result.get("type") == "Presidential Document":
            doc_type, identifiers = presidential_type(title)
        identifiers |= {"fr_document_number": number, "docket_id": "; ".join(result.get("docket_numbers") or [])}
        withdrawn = is_withdrawn(result)
        filed = self.date(result.get("filed_at"))
        dates = {"filed": filed, "scheduled_publication": self.date(result.get("publication_date"))}
        return self.item(
            response,
            url=result.get("html_url") or f"https://www.federalregister.gov/public-inspection/{number}",
            title=f"{WITHDRAWN}{title or 'public inspection document ' + number}" if withdrawn else title,
            published=filed,
            authority=agency_names(result) or "; ".join(result.get("agency_names") or []) or None,
            doc_type=doc_type,
            identifiers={k: v for k, v in identifiers.items() if v},
            text=self.filing_text(result, withdrawn),
            dates={k: v for k, v in dates.items() if v and not withdrawn},
        )

    def filing_text(self, result: dict[str, Any], withdrawn: bool) -> str:
        """What the desk says about the filing (excerpts and page views vary by query and hour: left out)."""
        lines = []
        if withdrawn:
            lines.append("Withdrawn from public inspection.")
        else:
            kind = "Special filing" if result.get("filing_type") == "special" else "Regular filing"
            moment = datetime.fromisoformat(result["filed_at"])
            lines.append(f"{kind} on public inspection since {moment:%Y-%m-%d %H:%M} (Washington time); "
                         f"scheduled for publication in the Federal Register on {result.get('publication_date')}.")
        if result.get("editorial_note"):
            lines.append(html_to_text(result["editorial_note"]))
        if result.get("pdf_url") and not withdrawn:
            pages = result.get("num_pages")
            lines.append(f"PDF{f' ({pages} pages)' if pages else ''}: {result['pdf_url'].split('?')[0]}")
        return "\n\n".join(lines)

    # --- crawl step: withdrawals update stored items -------------------------------------------

    def follow(self, response: Response, items: list[CandidateItem]) -> Iterator[Any]:
        withdrawn = [i for i in items if i.title.startswith(WITHDRAWN)]
        if withdrawn and self.run is not None:
            numbers = [i.identifiers["fr_document_number"] for i in withdrawn]
            stored = stored_by_identifier(self.run.session, self.source.id, "fr_document_number", numbers)
            # A filing withdrawn before we ever saw it is nothing to review.
            items = [i for i in items if i not in withdrawn] + [
                self.as_state_change(i, stored[i.identifiers["fr_document_number"]])
                for i in withdrawn if i.identifiers["fr_document_number"] in stored]
        yield from super().follow(response, items)

    @staticmethod
    def as_state_change(item: CandidateItem, stored: Any) -> CandidateItem:
        """The stored filing, marked withdrawn: its title, date, type and numbers stay."""
        title = stored.title.removeprefix(WITHDRAWN)
        return item.model_copy(update={
            "url": stored.url, "title": f"{WITHDRAWN}{title}", "published": stored.published,
            "doc_type": stored.doc_type, "authority": stored.authority,
            "identifiers": {**stored.identifiers, **item.identifiers},
            "dates": {k: date.fromisoformat(v) for k, v in stored.dates.items() if k == "filed"},
        })
