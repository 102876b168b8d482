"""Reuters technology news, from Reuters' Google News sitemap.

Reuters sits behind DataDome, which answers most crawlers with HTTP 401 (other DataDome sites
use 403) or a 200 captcha page. Both are reported as `blocked`: the core would file a plain 401
as a refused API key, and a captcha page must never become items.

The section page (/technology/) is refused that way; the news sitemap that Reuters' Arc XP
publishes for Google News (`/arc/outboundfeeds/news-sitemap-index/?outputType=xml`, children of
100 stories each, newest first, covering about two days, all sections mixed) answers a plain
request. It is read by the shared sitemap reader: title from `news:title` (CDATA or not), date
from `news:publication_date` on the London calendar (the day in the story's URL), and
`options.include` keeps the /technology/ stories. `news:language` says "en" even on /es/ and
/pt/ stories; the include keeps to the English section, so it is not corrected here.

The section page is still read when one is given in `urls` (through a `proxy:` the site accepts):
its article links are recognised by Reuters' URL shape, /<section>/.../<slug>-YYYY-MM-DD/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from crawler.errors import SourceBlocked, Unparseable
from crawler.items import CandidateItem
from spiders.base import RegwatchSpider, Result, text_of

_ARTICLE = re.compile(r"^(?:https://www\.reuters\.com)?/[a-z-]+(?:/[a-z0-9-]+)*-(\d{4})-(\d{2})-(\d{2})/?$")
# Only the challenge page loads these; ordinary pages carry DataDome's tag from js.datadome.co.
_CHALLENGE = re.compile(rb"captcha-delivery\.com|var dd=\{")


def datadome_reason(response: Response) -> str | None:
    """Why a response is DataDome's challenge (or another refusal) rather than the page."""
    challenge = bool(_CHALLENGE.search(response.body[:20_000]))
    if challenge or (response.status in (401, 403) and response.headers.get(b"x-datadome")):
        return f"HTTP {response.status}: DataDome anti-bot challenge instead of the page"
    if response.status in (401, 403):
        return f"HTTP {response.status}: the site refuses the crawler"
    return None


class ReutersSpider(RegwatchSpider):
    name = "reuters"
    doc_type = "news"

    def request(self, url: str, meta: dict | None = None, **kwargs: Any) -> Request:
        # DataDome's refusals of any URL (a child sitemap too) reach datadome_reason.
        meta = {"handle_httpstatus_list": [401, 403], **(meta or {})}
        return super().request(url, meta=meta, **kwargs)

    def parser_for(self, url: str) -> Callable[[Response], Iterable[Result]]:
        # A story's own page (its URL ends with its date) is a document; any other page a section.
        return self.parse_detail if _ARTICLE.match(urlsplit(url).path) else self.parse_section

    def parse_response(self, response: Response) -> list[Result]:
        reason = datadome_reason(response)
        if reason:
            raise SourceBlocked(reason, url=response.url)
        return super().parse_response(response)

    def parse_section(self, response: Response) -> Iterator[CandidateItem]:
        seen: set[str] = set()
        for link in response.css("a[href]"):
            href = link.attrib["href"]
            match = _ARTICLE.match(href)
            title = text_of(link.css("[data-testid='Heading'], h3, span")[:1]) or text_of(link)
            if not match or href in seen or not title:
                continue
            seen.add(href)
            yield self.item(response, url=response.urljoin(href), title=title,
                            published=date(int(match[1]), int(match[2]), int(match[3])))
        if not seen:
            raise Unparseable("section page without article links", url=response.url)
