"""UK Information Commissioner's Office (ico.org.uk). The news listing is drawn in the browser from
a JSON search API: POST /api/search with the listing page's node id and filters.

    options:
      root_page_id: 2816                 # the listing page's data-node-id (news and blogs)
      filters: [{key: entype, values: [news, blog, speech, statement]}]
      url_prefix: /about-the-ico/media-centre/   # promoted cards from other sections are left out
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from scrapy.http import Request, Response

from crawler.errors import Unparseable
from crawler.items import CandidateItem
from spiders.base import JsonApiSpider
from spiders.intl_common import known, long_date

HOST = "https://ico.org.uk"
# The kind after the date in filterItemMetaData ("12 February 2025, News") -> doc type
KINDS = {
    "news": "news", "blog": "news", "speech": "news", "statement": "press_release",
    "monetary penalties": "judgment", "enforcement notices": "judgment", "reprimands": "judgment",
    "undertakings": "judgment", "prosecutions": "judgment", "decision notices": "judgment",
    "consultation": "notice", "guidance": "guidance",
}


class IcoSpider(JsonApiSpider):
    name = "ico"
    doc_type = "news"  # a page of the site read without the search API's type (news and blogs)

    def first_requests(self) -> Iterable[Request]:
        options = self.source.options
        query = {"rootPageId": int(options.get("root_page_id", 2816)), "pageNumber": 1, "order": "newest",
                 "filters": options.get("filters", [])}
        for key in self.start_keys or tuple(self.source.urls):
            yield self.request(self.url_for(key), method="POST", body=json.dumps(query),
                               headers={"Content-Type": "application/json", "Accept": "application/json"})

    def page_items(self, response: Response, data: Any) -> Iterator[CandidateItem]:
        if not isinstance(data, dict) or "results" not in data:
            raise Unparseable("expected an ICO search answer with `results`", url=response.url)
        prefix = self.source.options.get("url_prefix", "/")
        for result in data["results"]:
            path = result.get("url") or ""
            if not path.startswith(prefix):
                continue
            shown, _, kind = (result.get("filterItemMetaData") or "").partition(",")
            yield self.item(
                response, url=HOST + path, title=result.get("title") or "",
                published=long_date(shown) or self.date(result.get("createdDateTime")),
                doc_type=KINDS.get(kind.strip().lower(), "news"),
                summary=result.get("description") or "",
                identifiers=known(ico_page_id=str(result["id"]) if result.get("id") else None),
            )
