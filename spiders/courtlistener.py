"""CourtListener REST API v4: AI-related dockets and opinions, and followed dockets.

`/search/?type=r` (RECAP dockets with their matching filings) and `type=o` (opinions) for the topic
`query`, filed since the lookback start, newest first, cursor-paginated (`next`). Followed
dockets (`options.dockets`: docket page URLs) are read through `/docket-entries/?docket=ID`: each
entry is an item (filing date, entry number, description). Search works without a token (an
anonymous quota of 100/day); docket entries need one (`Authorization: Token ...`), so followed
dockets without a token are reported as not configured. A refused token is HTTP 401.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response

from crawler.errors import NotConfigured, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import clean_line, html_to_text
from spiders.base import JsonApiSpider
from spiders.us_common import KeyedApiMixin

SITE = "https://www.courtlistener.com"
DOCKET_ID = re.compile(r"/docket/(\d+)/")
SEARCH_TYPES = {"r": "court_filing", "o": "judgment"}


class CourtListenerSpider(KeyedApiMixin, JsonApiSpider):
    name = "courtlistener"
    doc_type = "court_filing"
    key_required = False  # search is open; followed dockets check for the token themselves
    key_hint = "a CourtListener token in COURTLISTENER_TOKEN"

    def request(self, url: str, meta: dict | None = None, **kwargs: Any) -> Request:
        if self.has_key():
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Token {self.source.api_key.strip()}"}
        return super().request(url, meta=meta, **kwargs)

    def first_requests(self) -> Iterable[Request]:
        filed_after = self.run.lookback_start.strftime("%m/%d/%Y")
        for kind in self.source.options.get("search_types", ["r", "o"]):
            order = "entry_date_filed desc" if kind == "r" else "dateFiled desc"
            params = {"q": self.source.query or '"artificial intelligence"', "type": kind,
                      "order_by": order, "filed_after": filed_after}
            yield self.request(f"{self.url_for('search')}?{urlencode(params)}")
        dockets = [DOCKET_ID.search(url) for url in self.source.options.get("dockets", [])]
        if dockets and not self.has_key():
            self.run.record(NotConfigured(f"followed dockets need {self.key_hint}", source=self.source.id))
            return
        for match in filter(None, dockets):
            params = {"docket": match.group(1), "order_by": "-date_filed"}
            yield self.request(f"{self.url_for('docket_entries')}?{urlencode(params)}")

    def page_items(self, response: Response, data: Any) -> Iterator[CandidateItem]:
        if not isinstance(data, dict) or "results" not in data:
            raise Unparseable("expected a v4 list with `results` (and `next`)", url=response.url)
        if "/docket-entries/" in response.url:
            for entry in data["results"]:
                yield self.entry_item(response, entry)
            return
        kind = "o" if "type=o" in response.url else "r"
        for result in data["results"]:
            yield self.opinion_item(response, result) if kind == "o" else self.docket_item(response, result)

    def next_page(self, response: Response, data: Any) -> str | None:
        return data.get("next")

    def case_identifiers(self, result: dict[str, Any]) -> dict[str, str]:
        return {"case_number": result.get("docketNumber") or "", "court": result.get("court") or "",
                "court_id": result.get("court_id") or "", "docket_id": str(result.get("docket_id") or "")}

    def docket_item(self, response: Response, result: dict[str, Any]) -> CandidateItem:
        filings = result.get("recap_documents") or []
        latest = max(filings, key=lambda d: d.get("entry_date_filed") or "", default={})
        return self.item(
            response, url=SITE + result["docket_absolute_url"], title=result.get("caseName") or "",
            published=self.date(result.get("dateFiled")), doc_type="court_filing",
            identifiers=self.case_identifiers(result),
            summary=html_to_text(latest.get("snippet") or latest.get("description") or ""),
            text="\n".join(f"{d.get('entry_date_filed')} #{d.get('entry_number')}: {d.get('description')}"
                           for d in filings),
            dates={"filed": self.date(result.get("dateFiled"))} if result.get("dateFiled") else {},
        )

    def opinion_item(self, response: Response, result: dict[str, Any]) -> CandidateItem:
        opinions = result.get("opinions") or []
        snippet = next((o.get("snippet") for o in opinions if o.get("snippet")), "")
        identifiers = {**self.case_identifiers(result), "courtlistener_cluster_id": str(result.get("cluster_id") or ""),
                       "citation": "; ".join(result.get("citation") or [])}
        return self.item(
            response, url=SITE + result["absolute_url"], title=result.get("caseName") or "",
            published=self.date(result.get("dateFiled")), doc_type="judgment",
            identifiers=identifiers, summary=html_to_text(snippet),
            dates={"filed": self.date(result.get("dateFiled"))} if result.get("dateFiled") else {},
        )

    def entry_item(self, response: Response, entry: dict[str, Any]) -> CandidateItem:
        docket = DOCKET_ID.search(entry.get("docket") or "") or re.search(r"/dockets/(\d+)/", entry.get("docket") or "")
        docket_id = docket.group(1) if docket else ""
        number = entry.get("entry_number")
        description = clean_line(html_to_text(entry.get("description") or ""))
        documents = entry.get("recap_documents") or []
        short = next((d.get("description") for d in documents if d.get("description")), "")
        # An entry's page is its main document's; an entry without one is named by its API URL
        # (a URL fragment would be dropped by canonicalization and merge all entries).
        page = next((d.get("absolute_url") for d in documents if d.get("absolute_url")), None)
        return self.item(
            response, url=SITE + page if page else entry.get("resource_uri") or response.url,
            title=f"Entry {number}: {short or description[:120]}" if number is not None else short or description[:120],
            published=self.date(entry.get("date_filed")), doc_type="court_filing",
            identifiers={"courtlistener_entry_id": str(entry.get("id")), "docket_id": docket_id,
                         "entry_number": str(number) if number is not None else ""},
            summary=description,
            dates={"filed": self.date(entry.get("date_filed"))} if entry.get("date_filed") else {},
        )
