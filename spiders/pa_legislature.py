"""Pennsylvania General Assembly (palegis.us): bill pages found by the site's keyword search.

The keyword search (`/legislation/bills/bill-keyword-search?sessYr=...&keyword=<query>`, bill
text search, current printer's numbers) lists the session's bills that mention the topic; each
listed bill, and each bill in `options.bills` ("HB95", "SB1050"), is read from its server-rendered
page `/legislation/bills/{session}/{hb95}`: short title, prime sponsor and co-sponsors, last action
and its date, the chamber it is in, the Act number once it is law. Bill pages are read on every run,
since a bill's status changes on the page that names it. A session starts in an odd year;
`options.session` pins one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response

from crawler.errors import NotConfigured, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import canonical_url, clean_line, local_date
from spiders.base import HtmlListingSpider, Result
from spiders.us_common import bill_number

BILL_LINK = re.compile(r"/legislation/bills/(\d{4})/([hs][br]\d+)$", re.I)
ACT = re.compile(r"\bAct\s+(\d+)\s+of\s+(\d{4})\b")


# Where the short title is: by id, else beside its "Short Title:" label (ids change in redesigns).
SHORT_TITLE = ("//*[@id='shortTitle-wrapper']",
               "//strong[starts-with(normalize-space(), 'Short Title')]/parent::*/following-sibling::*[1]")
_ELLIPSIS = re.compile(r"\s\.\s\.\s\.(?=\s|$)")


def _without_ellipsis(text: str) -> str:
    """The full text of a truncated title: the ". . ." marker between its shown and hidden parts goes."""
    return clean_line(_ELLIPSIS.sub("", text))


class PennsylvaniaLegislatureSpider(HtmlListingSpider):
    name = "pa_legislature"
    doc_type = "bill"

    def check_configured(self) -> None:
        if not (self.source.query or self.source.options.get("bills")):
            raise NotConfigured("the Pennsylvania source needs a `query` or `options.bills`", source=self.source.id)

    @property
    def session(self) -> int:
        year = int(self.source.options.get("session") or local_date(self.now, self.source.timezone).year)
        return year if year % 2 else year - 1

    def search_url(self) -> str:
        params = {"sessYr": self.session, "sessInd": 0, "keyword": self.source.query or "", "searchType": "text",
                  "billBody": "", "billType": "B", "currPNOnly": "true"}
        return f"{self.url_for('listing_search')}?{urlencode(params)}"

    def bill_url(self, bill: str) -> str:
        return f"{self.url_for('bills').rstrip('/')}/{self.session}/{bill.replace(' ', '').lower()}"

    def first_requests(self) -> Iterable[Request]:
        if self.source.query:
            yield self.request(self.search_url())
        for bill in self.source.options.get("bills") or []:
            url = self.bill_url(bill)
            self.run.followed.add(canonical_url(url))
            yield self.request(url)

    def is_index(self, url: str) -> bool:
        return "/bill-keyword-search" in url

    # --- the keyword search --------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[Result]:
        if not response.xpath("//*[contains(., 'returned')]"):
            raise Unparseable("not a keyword search results page", url=response.url)
        seen: set[str] = set()
        for link in response.css("a[href*='/legislation/bills/']"):
            url = response.urljoin(link.attrib["href"])
            if BILL_LINK.search(url) and url not in seen:
                seen.add(url)
                card = link.xpath("ancestor::*[.//strong[contains(., 'Short Title')]][1]")
                session, slug = BILL_LINK.search(url).groups()
                last_action = self.card_field(card, "Last Action")
                yield self.item(response, url=url, title=self.card_field(card, "Short Title"),
                                published=self.date(last_action), summary=f"Last action: {last_action}.",
                                identifiers={"bill_number": bill_number("PA", slug),
                                             "session": f"{session}-{int(session) + 1}"})
        next_page = response.css("a.page-link[rel='next']::attr(href), a[aria-label='Next']::attr(href)").get()
        page = response.meta.get("page", 1) if response.request is not None else 1
        if next_page and page < self.max_pages:
            yield self.request(response.urljoin(next_page), meta={"page": page + 1})

    @staticmethod
    def card_field(card: Any, label: str) -> str:
        """The value beside a card's "<strong>Label:</strong>" (the cell after the label's own)."""
        return clean_line(" ".join(card.xpath(
            f".//strong[contains(., '{label}')]/parent::*/following-sibling::*[1]//text()").getall()))

    @property
    def max_pages(self) -> int:
        return self.source.crawl_settings(self.run.config.crawl).max_pages if self.run else 1

    def follow(self, response: Response, items: list[CandidateItem]) -> Iterator[Any]:
        """Every listed bill's page, stored or not: its status lives there."""
        if not self.is_index(response.url):
            yield from super().follow(response, items)
            return
        for item in items:
            if self.run.may_follow(canonical_url(item.url)):
                yield self.request(item.url, meta={"listing_item": item})

    # --- a bill page ---------------------------------------------------------------------------

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        match = BILL_LINK.search(response.url.split("?")[0])
        # The page truncates long titles behind a "Show more" button: the hidden rest is still there.
        short_title = next((title for xpath in SHORT_TITLE if (title := _without_ellipsis(" ".join(
            response.xpath(f"{xpath}//text()[not(ancestor::button)]").getall())))), "")
        if not match or not short_title:
            raise Unparseable("bill page without a bill number in its URL or a short title", url=response.url)
        session, slug = int(match[1]), match[2].upper()
        last_action = clean_line(response.xpath(
            "normalize-space(//strong[contains(., 'Last Action')]/following-sibling::text()[1])").get())
        chamber = clean_line(response.xpath(
            "//*[contains(text(), 'currently in the')]/strong/text()").get())
        prime, cosponsors = self.sponsors(response)
        act = ACT.search(" ".join(response.css("h1 ::text, .badge::text").getall()))
        introduced = self.date(clean_line(" ".join(response.xpath(
            "//*[contains(@class, 'timeline-Element')][1]//@title").getall())))
        acted_on = self.date(last_action)
        summary = " ".join(p for p in (
            f"Status: {act.group(0)}." if act else (f"In the {chamber}." if chamber else ""),
            f"Last action: {last_action}." if last_action else "",
            f"Prime sponsor: {'; '.join(prime)}." if prime else "",
            f"Co-sponsors: {'; '.join(cosponsors)}." if cosponsors else "",
        ) if p)
        dates = {"introduced": introduced, "last_action": acted_on}
        if act:
            dates["signed"] = acted_on
        item = self.item(
            response, url=response.url.split("?")[0], title=short_title,
            published=acted_on or introduced,
            doc_type="law" if act else "bill",
            identifiers={"bill_number": bill_number("PA", slug), "session": f"{session}-{session + 1}",
                         "public_law": act.group(0) if act else ""},
            summary=summary,
            text="\n\n".join(clean_line(" ".join(row.css("::text").getall()))
                             for row in response.css("#section-actions tr, #section-actions li")),
            dates={k: v for k, v in dates.items() if v},
        )
        yield item

    @staticmethod
    def sponsors(response: Response) -> tuple[list[str], list[str]]:
        """Prime sponsor(s) and co-sponsors, each list under its own heading on the page."""
        prime, cosponsors, current = [], [], None
        for node in response.xpath("//*[contains(@class, 'h3')] | //a[contains(@href, '/members/bio/')]"):
            heading = clean_line(" ".join(node.xpath(".//text()").getall()))
            if node.root.tag != "a":
                current = prime if heading.startswith("Prime Sponsor") else (
                    cosponsors if heading.startswith("Co-Sponsor") else None)
            elif current is not None and heading and heading not in current:
                current.append(heading)
        return prime, cosponsors
