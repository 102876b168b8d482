"""US agencies' newsroom feeds (Drupal RSS: DHS, Commerce/BIS, NIST, FTC): one spider, one config
entry per agency.

The feeds carry title, link, date and a teaser; `options.doc_type` says what the agency's feed
publishes (press releases, news), and config `keywords` keeps only the AI-related entries of
broad feeds. Titles name the kind of release ("Statement", "Remarks", "Fact Sheet"), which
refines the type.
"""

from __future__ import annotations

import re
from typing import Any

from scrapy.http import Response

from crawler.items import DOC_TYPES, CandidateItem
from spiders.base import FeedSpider
from spiders.us_common import federal_bill_numbers

TITLE_TYPES = (
    (re.compile(r"\b(request for (information|comment)|seeks (public )?comment)", re.I), "notice"),
    (re.compile(r"\b(guidance|guidelines)\b", re.I), "guidance"),
    (re.compile(r"\breport\b", re.I), "report"),
)


class AgencyFeedSpider(FeedSpider):
    name = "agency_feed"

    @property
    def feed_doc_type(self) -> str:
        wanted = self.source.options.get("doc_type", "press_release")
        return wanted if wanted in DOC_TYPES else "press_release"

    def entry_item(self, response: Response, entry: Any) -> CandidateItem | None:
        item = super().entry_item(response, entry)
        if item is None:
            return None
        item.doc_type = self.feed_doc_type
        for pattern, doc_type in TITLE_TYPES:
            if pattern.search(item.title):
                item.doc_type = doc_type
                break
        bills = federal_bill_numbers(f"{item.title}\n{item.summary}\n{item.text}")
        if bills:
            item.identifiers["bill_number"] = "; ".join(bills)
        return item
