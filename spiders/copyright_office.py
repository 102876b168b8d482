"""US Copyright Office: the AI initiative page (copyright.gov/ai/) and NewsNet announcements.

The AI page is watched for report parts: each linked part of the "Copyright and Artificial
Intelligence" report (and other linked reports) is an item, so a new part appears as a new item.
NewsNet's archive page lists issues (copyright.gov/newsnet/YYYY/NNNN.html); each new issue's page
gives its headline, date and text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from parsel import Selector
from scrapy.http import Request, Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import canonical_url, clean_line, html_to_text
from spiders.base import HtmlListingSpider, Result, text_of

REPORT_LINK = re.compile(r"\bPart\s+\d+\b|\breport\b|\bstudy\b", re.I)
DATE_TEXT = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October|November|"
                       r"December)\s+\d{1,2},\s+\d{4}")
ISSUE_URL = re.compile(r"/newsnet/\d{4}/(\d+)\.html$")
ISSUE_LINE = re.compile(r"Issue\s+(?:No\.\s*)?(\d+)", re.I)


def line_around(link: Selector, kinds: str) -> str:
    """The text of the list item or paragraph holding a link (where its date is written)."""
    return clean_line(" ".join(link.xpath(f"ancestor::*[self::{kinds}][1]//text()").getall()))


class CopyrightOfficeSpider(HtmlListingSpider):
    name = "copyright_office"
    doc_type = "news"

    def first_requests(self) -> Iterable[Request]:
        # The AI page is not an index: its report links are the items, nothing is fetched after it.
        if "ai_page" in self.source.urls:
            yield self.request(self.source.urls["ai_page"])
        yield from super().first_requests()

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        if "ai_page" in self.source.urls and canonical_url(url) == canonical_url(self.source.urls["ai_page"]):
            return self.parse_ai_page
        return super().parser_for(url)

    def parse_ai_page(self, response: Response) -> Iterator[CandidateItem]:
        main = response.css("main, #main-content, div.main-content") or response.css("body")
        seen: set[str] = set()
        for link in main[0].css("a[href]"):
            label = text_of(link)
            href = response.urljoin(link.attrib["href"])
            if not REPORT_LINK.search(label) or not href.lower().endswith(".pdf") or href in seen:
                continue
            seen.add(href)
            # The part's line ("Part 2: Copyrightability (January 29, 2025)") carries its date.
            context = line_around(link, "li or self::p")
            shown = DATE_TEXT.search(context)
            yield self.item(response, url=href, title=label, doc_type="report",
                            published=self.date(shown.group(0)) if shown else None,
                            summary=context if context != label else "")
        if not seen:
            raise Unparseable("AI page lists no report links (PDF links labelled Part/Report)", url=response.url)

    def parse_listing(self, response: Response) -> Iterator[CandidateItem]:
        found = 0
        for link in response.css("a[href*='/newsnet/']"):
            href = response.urljoin(link.attrib["href"])
            match = ISSUE_URL.search(href)
            if not match:
                continue
            found += 1
            context = line_around(link, "li or self::tr or self::p")
            shown = DATE_TEXT.search(context)
            yield self.item(response, url=href, title=text_of(link),
                            published=self.date(shown.group(0)) if shown else None,
                            identifiers={"newsnet_issue": match.group(1)})
        if not found:
            raise Unparseable("NewsNet archive lists no issue links (/newsnet/YYYY/NNNN.html)", url=response.url)

    def parse_detail(self, response: Response) -> Iterator[CandidateItem]:
        body = response.css("main, #main-content, div.main-content")
        headline = body.css("h1, h2") if body else []
        titles = [text_of(h) for h in headline if not text_of(h).lower().startswith("newsnet")]
        if not body or not titles:
            raise Unparseable("NewsNet page without a main section and headline", url=response.url)
        text = html_to_text(body.get())
        issue = ISSUE_LINE.search(text) or ISSUE_URL.search(response.url)
        shown = DATE_TEXT.search(text)
        paragraphs = [text_of(p) for p in body.css("p")]
        summary = next((p for p in paragraphs if len(p) > 80 and not ISSUE_LINE.match(p)), "")
        item = self.item(response, title=titles[0], text=text, summary=summary,
                         published=self.date(shown.group(0)) if shown else None,
                         identifiers={"newsnet_issue": issue.group(1)} if issue else {})
        yield self.merge_hint(response, item)
