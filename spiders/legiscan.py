"""LegiScan API (api.legiscan.com): AI bills across all states.

`getSearch` (state=ALL, the topic `query`, current sessions) lists matching bills 50 a page with
a change_hash; `getBill` gives state, number, title, status, last action and the state's own page.
getBill is asked only for bills not stored yet or with an action since the lookback start (the
free key allows 30,000 queries a month). Every answer is HTTP 200: `status: "ERROR"` with an
alert is a refused key or an exhausted quota, reported as `unauthorized`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from scrapy.http import Request, Response

from crawler.errors import Unauthorized, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import canonical_url
from spiders.base import JsonApiSpider, load_json
from spiders.us_common import KeyedApiMixin, bill_number

# LegiScan's status codes (API manual, "Static Values").
STATUS = {0: "Pre-filed", 1: "Introduced", 2: "Engrossed", 3: "Enrolled", 4: "Passed", 5: "Vetoed", 6: "Failed"}
KEY_ALERTS = ("key", "quota", "limit", "access")


class LegiScanSpider(KeyedApiMixin, JsonApiSpider):
    name = "legiscan"
    doc_type = "bill"
    start_keys = ("api",)
    key_hint = "a LegiScan API key in LEGISCAN_API_KEY"

    def api_url(self, **params: str) -> str:
        return f"{self.url_for('api')}?{urlencode({'key': (self.source.api_key or '').strip(), **params})}"

    def first_requests(self) -> Iterable[Request]:
        yield self.request(self.search_url(1))

    def search_url(self, page: int) -> str:
        return self.api_url(op="getSearch", state=self.source.options.get("state", "ALL"),
                            query=self.source.query or "artificial intelligence",
                            year=str(self.source.options.get("year", 2)), page=str(page))

    @staticmethod
    def op_of(url: str) -> str:
        return (parse_qs(urlparse(url).query).get("op") or [""])[0]

    def envelope(self, response: Response, key: str) -> Any:
        data = load_json(response)
        if not isinstance(data, dict):
            raise Unparseable("expected a LegiScan answer with `status`", url=response.url)
        if data.get("status") != "OK":
            message = str((data.get("alert") or {}).get("message") or "no message")
            if any(word in message.lower() for word in KEY_ALERTS):
                raise Unauthorized(f"LegiScan refused the request: {message}", url=response.url)
            raise Unparseable(f"LegiScan answered status {data.get('status')!r}: {message}", url=response.url)
        if key not in data:
            raise Unparseable(f"LegiScan answer without `{key}`", url=response.url)
        return data[key]

    def parse_api_page(self, response: Response) -> Iterator[Any]:
        if self.op_of(response.url) == "getBill":
            yield self.bill_item(response, self.envelope(response, "bill"))
            return
        found = self.envelope(response, "searchresult")
        summary = found.get("summary") or {}
        for key, result in found.items():
            if key != "summary" and isinstance(result, dict) and result.get("bill_id"):
                yield self.search_item(response, result)
        page, total = int(summary.get("page_current") or 1), int(summary.get("page_total") or 1)
        if page < min(total, self.max_pages):
            yield self.request(self.search_url(page + 1))

    def follow(self, response: Response, items: list[CandidateItem]) -> Iterator[Any]:
        """Bills from a search are fetched whole (getBill) when new or recently acted on."""
        if self.op_of(response.url) != "getSearch":
            if items:
                yield self.batch(response, items)
            return
        stored = self.run.stored_urls([canonical_url(item.url) for item in items])
        for item in items:
            recent = item.published is not None and item.published >= self.run.lookback_start
            if canonical_url(item.url) not in stored or recent:
                yield self.request(self.api_url(op="getBill", id=item.identifiers["legiscan_bill_id"]),
                                   meta={"listing_item": item})

    def search_item(self, response: Response, result: dict[str, Any]) -> CandidateItem:
        return self.item(
            response, url=result.get("url") or response.url, title=result.get("title") or "",
            published=self.date(result.get("last_action_date")),
            jurisdiction=f"US-{result.get('state')}" if result.get("state") not in (None, "US") else "US",
            identifiers={"legiscan_bill_id": str(result["bill_id"]),
                         "bill_number": bill_number(result.get("state") or "", result.get("bill_number") or "")},
            summary=f"Last action ({result.get('last_action_date')}): {result.get('last_action')}",
        )

    @staticmethod
    def description(bill: dict[str, Any]) -> str:
        """The bill's description when it says more than its title."""
        text = str(bill.get("description") or "")
        return text if text and text != bill.get("title") else ""

    def bill_item(self, response: Response, bill: dict[str, Any]) -> CandidateItem:
        history = [h for h in bill.get("history") or [] if isinstance(h, dict)]
        last = history[-1] if history else {}
        state = bill.get("state") or ""
        status = STATUS.get(int(bill.get("status") or 0), str(bill.get("status")))
        session = (bill.get("session") or {}).get("session_name") or ""
        identifiers = {"legiscan_bill_id": str(bill.get("bill_id")),
                       "bill_number": bill_number(state, bill.get("bill_number") or ""),
                       "session": session, "state_url": bill.get("state_link") or ""}
        text = "\n".join(f"{h.get('date')}: {h.get('action')}" for h in history)
        dates = {"status": self.date(bill.get("status_date")), "last_action": self.date(last.get("date"))}
        return self.item(
            response, url=bill.get("url") or response.url, title=bill.get("title") or "",
            published=self.date(last.get("date")) or self.date(bill.get("status_date")),
            doc_type="law" if int(bill.get("status") or 0) == 4 else "bill",
            jurisdiction=f"US-{state}" if state and state != "US" else "US",
            identifiers={k: v for k, v in identifiers.items() if v},
            summary=" ".join(p for p in (f"Status: {status}.", f"Last action ({last.get('date')}): "
                                                          f"{str(last.get('action') or '').rstrip('.')}.",
                                         self.description(bill)) if p),
            text=text,
            dates={k: v for k, v in dates.items() if v},
        )
