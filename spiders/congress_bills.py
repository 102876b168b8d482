"""congress.gov API v3 (api.congress.gov): bills whose titles match AI terms.

The API has no keyword search, so the spider lists the bills updated since the lookback start
(`/bill?fromDateTime=...&sort=updateDate+desc`, 250 a page, `pagination.next`) and keeps those
whose titles name AI. The key (api.data.gov) goes in the X-Api-Key header, never in the URL;
the gateway's refusals (API_KEY_MISSING/INVALID, HTTP 403) are `unauthorized`, not `blocked`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response

from crawler.errors import SourceBlocked, Unauthorized, Unparseable
from crawler.items import CandidateItem
from spiders.base import JsonApiSpider, load_json
from spiders.us_common import KeyedApiMixin, bill_number, is_ai_title

# congress.gov's public page names each bill type in words.
BILL_PATHS = {
    "HR": "house-bill", "S": "senate-bill", "HJRES": "house-joint-resolution",
    "SJRES": "senate-joint-resolution", "HCONRES": "house-concurrent-resolution",
    "SCONRES": "senate-concurrent-resolution", "HRES": "house-resolution", "SRES": "senate-resolution",
}


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def public_url(congress: int, bill_type: str, number: str) -> str:
    kind = BILL_PATHS.get(bill_type.upper(), bill_type.lower())
    return f"https://www.congress.gov/bill/{ordinal(congress)}-congress/{kind}/{number}"


class CongressBillsSpider(KeyedApiMixin, JsonApiSpider):
    name = "congress_bills"
    doc_type = "bill"
    start_keys = ("bills",)
    key_hint = "a congress.gov (api.data.gov) key in CONGRESS_API_KEY"

    def request(self, url: str, meta: dict | None = None, **kwargs: Any) -> Request:
        headers = {**kwargs.pop("headers", {}), "X-Api-Key": (self.source.api_key or "").strip()}
        # The gateway answers a refused key with 403; read it to tell a refused key from a block.
        meta = {**(meta or {}), "handle_httpstatus_list": [401, 403]}
        return super().request(url, meta=meta, headers=headers, **kwargs)

    def first_requests(self) -> Iterable[Request]:
        start = self.run.lookback_start
        params = {"format": "json", "limit": "250", "sort": "updateDate desc",
                  "fromDateTime": f"{start.isoformat()}T00:00:00Z"}
        yield self.request(f"{self.url_for('bills')}?{urlencode(params)}")

    def parse_api_page(self, response: Response) -> Iterator[Any]:
        try:
            data = load_json(response)
        except Unparseable:
            if response.status in (401, 403):
                raise SourceBlocked(f"HTTP {response.status} and no API answer: the site refuses the crawler",
                                    url=response.url) from None
            raise
        error = data.get("error") if isinstance(data, dict) else None
        if error or response.status in (401, 403):
            code = error.get("code", "") if isinstance(error, dict) else str(error or "")
            if response.status in (401, 403) or code.startswith("API_KEY"):
                raise Unauthorized(f"congress.gov refused the API key ({code or response.status})", url=response.url)
            raise Unparseable(f"congress.gov answered an error: {error}", url=response.url)
        yield from super().parse_api_page(response)

    def page_items(self, response: Response, data: Any) -> Iterator[CandidateItem]:
        if not isinstance(data, dict) or "bills" not in data:
            raise Unparseable("expected a bill list with `bills` and `pagination`", url=response.url)
        for bill in data["bills"]:
            if is_ai_title(bill.get("title") or ""):
                yield self.bill_item(response, bill)

    def next_page(self, response: Response, data: Any) -> str | None:
        return (data.get("pagination") or {}).get("next")

    def bill_item(self, response: Response, bill: dict[str, Any]) -> CandidateItem:
        congress, kind, number = int(bill["congress"]), bill["type"], str(bill["number"])
        action = bill.get("latestAction") or {}
        acted = self.date(action.get("actionDate"))
        line = f"Latest action ({action.get('actionDate')}): {action.get('text')}" if action.get("text") else ""
        return self.item(
            response,
            url=public_url(congress, kind, number),
            title=bill.get("title") or f"{kind} {number}",
            published=acted,
            doc_type="law" if bill.get("laws") else "bill",
            identifiers={"bill_number": bill_number("US", kind + number), "congress": str(congress),
                         "congress_bill_id": f"{congress}-{kind.lower()}-{number}",
                         "chamber": bill.get("originChamber") or ""},
            summary=line,
            dates={"latest_action": acted} if acted else {},
        )

