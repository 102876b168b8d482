"""Scrapy item pipelines: normalize -> dedupe -> store.

`normalize_item` is also what `regwatch parse` runs, so a parsed file and a live crawl give the
same item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from twisted.internet.task import LoopingCall

from crawler.config import SourceConfig
from crawler.errors import Unparseable
from crawler.items import CandidateItem
from crawler.normalize import canonical_url, clean_line, clean_text, content_hash, first_paragraph
from crawler.relevance import add_model_scores, assess
from crawler.relevance_model.registry import active_model
from crawler.run import CrawlerBound, store_pending_of
from crawler.storage.documents import Evidence

if TYPE_CHECKING:
    from crawler.relevance_model.model import RelevanceModel
    from crawler.run import RunContext

STORE_BATCH_SIZE = 500
# A title or a summary longer than these is a broken or hostile page, not a document's: kept, clipped.
MAX_TITLE_CHARS = 1000
MAX_SUMMARY_CHARS = 4000
_WEB_URL = re.compile(r"^https?://[^\s/?#]+", re.I)
STORE_FLUSH_INTERVAL_S = 1.0


@dataclass
class ScrapedBatch:
    """What a spider yields: the items of one response, where that response is archived, and the
    run of the source it came from (a crawler serves many sources).

    One Scrapy item per response, not per document: a 50-entry feed passes through Scrapy's
    item machinery once.
    """

    items: list[CandidateItem]
    evidence: Evidence | None
    run: RunContext | None  # None only outside a crawl (`regwatch parse`)


def _matches_keywords(item: CandidateItem, keywords: list[str]) -> bool:
    haystack = f"{item.title}\n{item.summary}\n{item.text}".lower()
    return any(keyword.lower() in haystack for keyword in keywords)


def normalize_item(item: CandidateItem, source: SourceConfig,
                   model: RelevanceModel | None = None) -> CandidateItem | None:
    """Canonical URL, clean text, a summary, relevance (terms, the source's prior and `model`, see
    crawler.relevance.combine) and content hash; None when the source's keywords rule the item out."""
    title = clip(clean_line(item.title), MAX_TITLE_CHARS)
    if not title:
        raise Unparseable("an entry has no title", source=source.id, url=item.url)
    if not _WEB_URL.match(item.url or ""):
        raise Unparseable(f"an entry links to {clip(item.url, 80)!r}, not an http(s) page", source=source.id,
                          url=clip(item.url, 2000))
    text = clean_text(item.text)
    summary = clip(" ".join(clean_text(item.summary).split()), MAX_SUMMARY_CHARS) or first_paragraph(text)
    normalized = item.model_copy(update={
        "url": canonical_url(item.url), "title": title, "summary": summary, "text": text,
        "identifiers": {k: clean_line(str(v)) for k, v in item.identifiers.items() if v not in (None, "")},
        "authority": item.authority or source.authority, "jurisdiction": item.jurisdiction or source.jurisdiction,
        "category": item.category or source.category, "language": item.language or source.language,
    })
    if source.keywords and not _matches_keywords(normalized, source.keywords):
        return None
    normalized.relevance = assess(normalized, source.relevance.prior, tuple(source.keywords), model)
    normalized.content_hash = content_hash({
        "title": title, "published": normalized.published, "summary": summary, "text": text,
        "doc_type": normalized.doc_type, "identifiers": normalized.identifiers, "dates": normalized.dates,
    })
    return normalized


def clip(value: str, limit: int) -> str:
    """At most `limit` characters, cut at a space where one is near, marked with an ellipsis."""
    if len(value) <= limit:
        return value
    cut = value[:limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.8 else cut).rstrip() + "…"


def is_before(item: CandidateItem, since: date | None) -> bool:
    return since is not None and item.published is not None and item.published < since


class NormalizePipeline(CrawlerBound):
    def process_item(self, batch: ScrapedBatch) -> ScrapedBatch:
        run, source = batch.run, batch.run.source
        kept = []
        for raw in batch.items:
            try:
                item = normalize_item(raw, source)
            except Unparseable as error:
                run.record(error)
                continue
            if item is not None and not is_before(item, run.since):
                kept.append(item)
        add_model_scores(kept, source.relevance.prior, active_model(run.config))  # the model is read once a process
        batch.items = kept
        return batch


class RunDedupePipeline(CrawlerBound):
    """One copy per URL per source's run; the database then decides new, updated or unchanged."""

    def open_spider(self) -> None:
        self.seen: set[tuple[int, str]] = set()

    def process_item(self, batch: ScrapedBatch) -> ScrapedBatch:
        fresh = []
        for item in batch.items:
            key = (batch.run.run_id, item.url)
            if key not in self.seen:
                self.seen.add(key)
                fresh.append(item)
        batch.items = fresh
        return batch


class StorePipeline(CrawlerBound):
    """Stores in batches of up to STORE_BATCH_SIZE items (of all the crawler's sources together),
    and at least every STORE_FLUSH_INTERVAL_S; a source's last items are stored when its run
    finishes. A killed crawl loses at most what was waiting, which the next run fetches again
    because validators are only saved once a run has finished."""

    def open_spider(self) -> None:
        self.waiting: dict[int, RunContext] = {}  # runs with items waiting, by run id
        self.count = 0
        settings = self.crawler.settings
        self.batch_size = settings.getint("REGWATCH_STORE_BATCH_SIZE", STORE_BATCH_SIZE)
        self.timer = LoopingCall(self.flush)
        self.timer.start(settings.getfloat("REGWATCH_STORE_FLUSH_INTERVAL_S", STORE_FLUSH_INTERVAL_S), now=False)

    def process_item(self, batch: ScrapedBatch) -> ScrapedBatch:
        run = batch.run
        run.pending.extend((item, batch.evidence) for item in batch.items)
        self.waiting[run.run_id] = run
        self.count += len(batch.items)
        if self.count >= self.batch_size:
            self.flush()
        return batch

    def flush(self) -> None:
        waiting, self.waiting, self.count = self.waiting, {}, 0
        store_pending_of(list(waiting.values()))

    def close_spider(self) -> None:
        if self.timer.running:
            self.timer.stop()
        self.flush()
