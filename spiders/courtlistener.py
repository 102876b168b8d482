"""CourtListener REST API v4: AI-related dockets and opinions, and followed dockets.

`/search/?type=r` (RECAP dockets with their matching filings) and `type=o` (opinions) for the topic
`query`, filed since the lookback start, newest first, cursor-paginated (`next`). Followed
dockets (`options.dockets`: docket page URLs) are read through `/docket-entries/?docket=ID`: each
entry is an item (filing date, entry number, description).

A docket object (`/dockets/ID/`) is the case itself as one item, under the docket's page URL, so
that it is the same item as the docket's RECAP search results (published on its filing date, as
they are). A followed docket's object is fetched only while its case is not stored yet, not on
every run: the free tier allows 5 requests a minute and 125 a day, the entries already report each
new filing, and the case's own fields (name, court, judge) rarely change, so a request per run would
spend quota on an item that only changes its last-filing date, marking it `updated` on top of the
entry that caused it. (Whether the case is stored is asked by its page URL, so `options.dockets`
should name each docket's page as CourtListener shows it, slug included.)

Search works without a token (an anonymous quota of 100/day); docket entries and, since 2025-09,
docket objects need one (`Authorization: Token ...`), so followed dockets without a token are
reported as not configured. A refused token is HTTP 401, a token without the permission for an
endpoint HTTP 403: both are `unauthorized`, naming the URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import Request, Response

from crawler.errors import NotConfigured, Unauthorized, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import canonical_url, clean_line, html_to_text
from spiders.base import JsonApiSpider, Result
from spiders.us_common import KeyedApiMixin

SITE = "https://www.courtlistener.com"
DOCKET_ID = re.compile(r"/docket/(\d+)/")
DOCKET_OBJECT = re.compile(r"/dockets/(\d+)/?$")
SEARCH_TYPES = {"r": "court_filing", "o": "judgment"}
# A docket object's fields worth reading, in the order the case's text lists them.
CASE_FIELDS = (("nature_of_suit", "Nature of suit"), ("cause", "Cause"), ("assigned_to_str", "Assigned to"),
               ("referred_to_str", "Referred to"), ("jurisdiction_type", "Jurisdiction"),
               ("jury_demand", "Jury demand"))


class CourtListenerSpider(KeyedApiMixin, JsonApiSpider):
    name = "courtlistener"
    doc_type = "court_filing"
    key_required = False  # search is open; followed dockets check for the token themselves
    key_hint = "a CourtListener token in COURTLISTENER_TOKEN"

    def request(self, url: str, meta: dict | None = None, **kwargs: Any) -> Request:
        if self.has_key():
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Token {self.source.api_key.strip()}"}
        # Refusals reach the parser, which says what CourtListener refused (see refusal).
        meta = {"handle_httpstatus_list": [401, 403], **(meta or {})}
        return super().request(url, meta=meta, **kwargs)

    def first_requests(self) -> Iterable[Request]:
        filed_after = self.run.lookback_start.strftime("%m/%d/%Y")
        for kind in self.source.options.get("search_types", ["r", "o"]):
            order = "entry_date_filed desc" if kind == "r" else "dateFiled desc"
            params = {"q": self.source.query or '"artificial intelligence"', "type": kind,
                      "order_by": order, "filed_after": filed_after}
            yield self.request(f"{self.url_for('search')}?{urlencode(params)}")
        followed = [url for url in self.source.options.get("dockets", []) if DOCKET_ID.search(url)]
        if followed and not self.has_key():
            self.run.record(NotConfigured(f"followed dockets need {self.key_hint}", source=self.source.id,
                                          url=followed[0]))
            return
        for url in followed:
            params = {"docket": DOCKET_ID.search(url).group(1), "order_by": "-date_filed"}
            yield self.request(f"{self.url_for('docket_entries')}?{urlencode(params)}")
        yield from self.unstored_case_requests(followed)

    def unstored_case_requests(self, followed: list[str]) -> Iterator[Request]:
        """The docket objects of followed dockets whose case is not stored yet (see the docstring)."""
        if not followed or "dockets" not in self.source.urls:
            return
        stored = self.run.stored_urls([canonical_url(url) for url in followed])
        for url in followed:
            if canonical_url(url) not in stored:
                yield self.request(f"{self.url_for('dockets')}{DOCKET_ID.search(url).group(1)}/")

    def parse_response(self, response: Response) -> list[Result]:
        if response.status in (401, 403):
            raise Unauthorized(self.refusal(response), url=response.url)
        return super().parse_response(response)

    def refusal(self, response: Response) -> str:
        """What CourtListener refused, with what it said ({"detail": "Invalid token."})."""
        try:
            detail = str(json.loads(response.body).get("detail") or "")
        except (ValueError, AttributeError):
            detail = ""
        said = f" ({clean_line(detail)[:200]})" if detail else ""
        if response.status == 403:
            return f"HTTP 403: the CourtListener token may not read this endpoint{said}"
        if not self.has_key():
            return f"HTTP 401: CourtListener wants a token for this endpoint{said}; set {self.key_hint}"
        return f"HTTP 401: CourtListener refused the token{said}"

    def page_items(self, response: Response, data: Any) -> Iterator[CandidateItem]:
        if DOCKET_OBJECT.search(urlsplit(response.url).path):
            yield self.case_item(response, data)
            return
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
        return data.get("next") if isinstance(data, dict) else None

    def case_identifiers(self, result: dict[str, Any]) -> dict[str, str]:
        return {"case_number": result.get("docketNumber") or "", "court": result.get("court") or "",
                "court_id": result.get("court_id") or "", "docket_id": str(result.get("docket_id") or "")}

    def case_item(self, response: Response, docket: Any) -> CandidateItem:
        """A docket object: the case under its page URL, with the search results' identifier keys
        (the object names its court only by an API URL, so `court` is left out)."""
        if not isinstance(docket, dict) or not docket.get("absolute_url") or "docket_number" not in docket:
            raise Unparseable("expected a v4 docket object (`absolute_url`, `docket_number`, `case_name`)",
                              url=response.url)
        labelled = [f"{label}: {clean_line(str(docket[key]))}" for key, label in CASE_FIELDS if docket.get(key)]
        dates = {name: self.date(docket.get(key)) for name, key in
                 (("filed", "date_filed"), ("last_filing", "date_last_filing"), ("terminated", "date_terminated"))}
        return self.item(
            response, url=SITE + docket["absolute_url"],
            title=docket.get("case_name") or docket.get("case_name_full") or docket.get("case_name_short") or "",
            published=dates["filed"], doc_type="court_filing",
            identifiers={"case_number": docket.get("docket_number") or "", "court_id": docket.get("court_id") or "",
                         "docket_id": str(docket.get("id") or "")},
            summary="; ".join(labelled), text="\n".join(labelled),
            dates={name: day for name, day in dates.items() if day},
        )

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

