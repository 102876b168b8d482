"""`spider: page`: one HTML page watched for changes of its main text (extracted by trafilatura).

The page itself is the item; when its main text changes, the item gets a new version and is
flagged `updated`.
"""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from spiders.base import RegwatchSpider


class PageWatchSpider(RegwatchSpider):
    name = "page"
    doc_type = "other"

    def parser_for(self, url: str):
        return self.parse_page

    def parse_page(self, response: Response) -> Iterator[CandidateItem]:
        import trafilatura  # heavy import, only page watches need it

        html = response.text
        text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_precision=True)
        if not text:
            raise Unparseable("no main text found on the page", url=response.url)
        metadata = trafilatura.extract_metadata(html)
        title = (metadata.title if metadata else None) or response.css("title::text").get() or self.source.name
        published = self.date(metadata.date) if metadata and metadata.date else None
        yield self.item(
            response, title=title, text=text,
            published=published,  # no date on the page: none, so the content hash stays stable
            summary=(metadata.description if metadata else "") or "",
        )
