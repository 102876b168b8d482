"""Scrapy item pipelines: normalize -> dedupe -> store.

`normalize_item` is also what `regwatch parse` runs, so a parsed file and a live crawl give the
same item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from crawler.config import SourceConfig
from crawler.errors import StoreFailed, Unparseable
from crawler.items import CandidateItem
from crawler.normalize import canonical_url, clean_line, clean_text, content_hash, first_paragraph
from crawler.relevance import score
from crawler.run import CrawlerBound
from crawler.storage.documents import Evidence, StoreCounts, store_items

STORE_BATCH_SIZE = 500


@dataclass
class ScrapedBatch:
    """What a spider yields: the items of one response and where that response is archived.

    One Scrapy item per response, not per document: a 50-entry feed passes through Scrapy's
    item machinery once.
    """

    items: list[CandidateItem]
    evidence: Evidence | None = None


def _matches_keywords(item: CandidateItem, keywords: list[str]) -> bool:
    haystack = f"{item.title}\n{item.summary}\n{item.text}".lower()
    return any(keyword.lower() in haystack for keyword in keywords)


def normalize_item(item: CandidateItem, source: SourceConfig) -> CandidateItem | None:
    """Canonical URL, clean text, a summary, relevance and content hash; None when the source's
    keywords rule the item out."""
    title = clean_line(item.title)
    if not title:
        raise Unparseable("an entry has no title", source=source.id, url=item.url)
    text = clean_text(item.text)
    summary = " ".join(clean_text(item.summary).split()) or first_paragraph(text)
    normalized = item.model_copy(update={
        "url": canonical_url(item.url), "title": title, "summary": summary, "text": text,
        "identifiers": {k: clean_line(str(v)) for k, v in item.identifiers.items() if v not in (None, "")},
        "authority": item.authority or source.authority, "jurisdiction": item.jurisdiction or source.jurisdiction,
        "category": item.category or source.category, "language": item.language or source.language,
    })
    if source.keywords and not _matches_keywords(normalized, source.keywords):
        return None
    normalized.relevance = score(title, f"{summary}\n{text}", tuple(source.keywords))
    normalized.content_hash = content_hash({
        "title": title, "published": normalized.published, "summary": summary, "text": text,
        "doc_type": normalized.doc_type, "identifiers": normalized.identifiers, "dates": normalized.dates,
    })
    return normalized


def is_before(item: CandidateItem, since: date | None) -> bool:
    return since is not None and item.published is not None and item.published < since


class NormalizePipeline(CrawlerBound):
    def process_item(self, batch: ScrapedBatch) -> ScrapedBatch:
        run, source = self.spider.run, self.spider.source
        kept = []
        for raw in batch.items:
            try:
                item = normalize_item(raw, source)
            except Unparseable as error:
                run.record(error)
                continue
            if item is not None and not is_before(item, run.since):
                kept.append(item)
        batch.items = kept
        return batch


class RunDedupePipeline(CrawlerBound):
    """One copy per URL per run; the database then decides new, updated or unchanged."""

    def open_spider(self) -> None:
        self.seen: set[str] = set()

    def process_item(self, batch: ScrapedBatch) -> ScrapedBatch:
        fresh = []
        for item in batch.items:
            if item.url not in self.seen:
                self.seen.add(item.url)
                fresh.append(item)
        batch.items = fresh
        return batch


class StorePipeline(CrawlerBound):
    """Stores in batches: a killed crawl loses at most a batch, which the next run fetches again
    because validators are only saved once a run has finished."""

    def open_spider(self) -> None:
        self.pending: list[tuple[CandidateItem, Evidence | None]] = []
        self.batch_size = self.crawler.settings.getint("REGWATCH_STORE_BATCH_SIZE", STORE_BATCH_SIZE)

    def process_item(self, batch: ScrapedBatch) -> ScrapedBatch:
        self.pending.extend((item, batch.evidence) for item in batch.items)
        if len(self.pending) >= self.batch_size:
            self.flush()
        return batch

    def flush(self) -> None:
        run = self.spider.run
        pending, self.pending = self.pending, []
        try:
            counts: StoreCounts = store_items(run.session, run.source_id, pending, run.run_id)
        except SQLAlchemyError as error:
            run.session.rollback()  # the session stays usable for the run record
            run.record(StoreFailed(f"storing {len(pending)} items failed: {error.__class__.__name__}: "
                                   f"{str(error).splitlines()[0]}", url=pending[0][0].url))
            return
        run.counters["items_new"] += counts.new
        run.counters["items_updated"] += counts.updated
        run.counters["items_unchanged"] += counts.unchanged

    def close_spider(self) -> None:
        if self.pending:
            self.flush()
