"""Members of Congress's press releases (their sites are mostly WordPress): one spider, one config
entry per member (`hawley-senate`, ...).

The WordPress feed (`/feed/`) carries each post's full text in content:encoded; config `keywords`
keeps the posts about AI, and bill numbers named in a post ("S. 1290") become `bill_number`
identifiers ("US S1290", by the agency-feed base), so a member announcing a bill links to the bill itself.
`options.categories` (e.g. ["Press Releases"]) drops other post kinds (op-eds, newsletters).
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from crawler.items import CandidateItem
from spiders.agency_feed import AgencyFeedSpider


class CongressMemberSpider(AgencyFeedSpider):
    name = "congress_member"

    def entry_item(self, response: Response, entry: Any) -> CandidateItem | None:
        categories = {tag.get("term", "").strip().lower() for tag in entry.get("tags") or []}
        wanted = {c.lower() for c in self.source.options.get("categories", [])}
        if wanted and categories and not categories & wanted:
            return None
        item = super().entry_item(response, entry)
        if item is None:
            return None
        item.doc_type = "press_release"  # a member's "report" or "framework" is still a release
        return item
