"""The state of one source's crawl run, shared by its spider, middlewares and pipelines."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crawler.archive import ReplayIndex, WarcRecorder
from crawler.config import Config, SourceConfig
from crawler.errors import NotConfigured, ReadWarning, RegwatchError, SourceBlocked, StoreFailed, SuspiciousEmpty
from crawler.items import CandidateItem
from crawler.outcome import COUNTERS  # noqa: F401 (imported from here by others)
from crawler.storage import documents, runs
from crawler.storage.documents import Evidence

log = logging.getLogger(__name__)



@dataclass
class RunContext:
    source: SourceConfig
    config: Config
    session: Session
    run_id: int
    now: datetime
    since: date | None = None
    recorder: WarcRecorder | None = None
    replay: ReplayIndex | None = None
    counters: Counter = field(default_factory=Counter)
    errors: list[RegwatchError] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    validators: dict[str, dict[str, str | None]] = field(default_factory=dict)
    fresh_validators: dict[str, dict[str, str | None]] = field(default_factory=dict)
    followed: set[str] = field(default_factory=set)  # detail URLs requested in this run
    max_documents: int | None = None  # at most this many detail pages (`regwatch record`)
    on_progress: Callable[[str, str], None] | None = None
    status_at_finish: str | None = None
    # Items that passed the pipelines and wait to be stored (see store_pending).
    pending: list[tuple[CandidateItem, Evidence | None]] = field(default_factory=list)
    # Requests and batches of this source still on their way through the crawler, whether all its
    # start requests are out, and what to call when both say it is done (see crawler.group).
    work: int = 0
    started: bool = False
    when_done: Callable[[RunContext], None] | None = None

    def begin_work(self) -> None:
        self.work += 1

    def end_work(self) -> None:
        self.work -= 1
        self._check_done()

    def mark_started(self) -> None:
        self.started = True
        self._check_done()

    def _check_done(self) -> None:
        if self.work <= 0 and self.started and self.status_at_finish is None and self.when_done is not None:
            when_done, self.when_done = self.when_done, None  # once
            when_done(self)

    def progress(self, event: str) -> None:
        if self.on_progress is not None:
            self.on_progress(self.source_id, event)

    @property
    def source_id(self) -> str:
        return self.source.id

    @property
    def lookback_start(self) -> date:
        """From when to ask APIs for documents: --since, else the configured lookback."""
        days = self.source.crawl_settings(self.config.crawl).lookback_days
        return self.since or (self.now - timedelta(days=days)).date()

    def record(self, error: RegwatchError) -> None:
        """Keep an error on this run (in the database at once) and log it with source and URL."""
        error.source = error.source or self.source_id
        self.errors.append(error)
        runs.record_error(self.session, self.run_id, error.kind, error.message, error.url)
        log.error("%s", error)

    def warn(self, warning: ReadWarning) -> None:
        """Keep a warning on this run (a selector that missed, a malformed feed): shown in the
        source's health, without failing the run. One per kind and message per run."""
        warning.source = warning.source or self.source_id
        if any(w.kind == warning.kind and w.message == warning.message for w in self.warnings):
            return
        self.warnings.append(warning)
        runs.record_warning(self.session, self.run_id, warning.kind, warning.message, warning.url)
        log.warning("%s", warning)

    def may_follow(self, url: str) -> bool:
        """Whether to fetch this detail page now: not yet requested in this run, within the cap."""
        if url in self.followed or (self.max_documents is not None and len(self.followed) >= self.max_documents):
            return False
        self.followed.add(url)
        return True

    def stored_urls(self, urls: list[str]) -> set[str]:
        return documents.stored_urls(self.session, self.source_id, urls)

    def status(self) -> str:
        if not self.errors:
            return "ok"
        if all(isinstance(error, NotConfigured) for error in self.errors):
            return "not_configured"
        if all(isinstance(error, SourceBlocked) for error in self.errors):
            return "blocked"
        return "failed"

    def check_not_empty(self) -> None:
        """A source that yielded items last time and none now has probably changed its pages."""
        if self.counters["items_parsed"] or self.errors:
            return
        if self.counters["requests"] and self.counters["requests"] == self.counters["not_modified"]:
            return  # everything answered 304: nothing new, not nothing found
        last_ok = runs.last_finished_run(self.session, self.source_id, status="ok")
        if last_ok is not None and last_ok.items_parsed > 0:
            url = next(iter(self.source.urls.values()))
            self.record(SuspiciousEmpty(
                f"source yielded 0 items, last run had {last_ok.items_parsed}", url=url))

    def store_pending(self, commit: bool = True) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            counts = documents.store_items(self.session, self.source_id, pending, self.run_id, commit=commit)
        except SQLAlchemyError as error:
            self.session.rollback()  # the session stays usable for the run record
            self.record(StoreFailed(f"storing {len(pending)} items failed: {error.__class__.__name__}: "
                                    f"{str(error).splitlines()[0]}", url=pending[0][0].url))
            return
        self.count_stored(counts)

    def count_stored(self, counts: documents.StoreCounts) -> None:
        self.counters["items_new"] += counts.new
        self.counters["items_updated"] += counts.updated
        self.counters["items_unchanged"] += counts.unchanged

    def finish(self, commit: bool = True) -> str:
        """Store the last items and close the run record, in one transaction; commit=False leaves
        the commit to the caller."""
        finish_together([self], commit=commit)
        return self.status_at_finish

    def conclude(self) -> dict[str, Any]:
        """Everything finishing does but writing the run record and the validators: the record
        is returned for finish_together, which writes those of many runs at once."""
        self.store_pending(commit=False)
        self.check_not_empty()
        status = self.status()
        if self.recorder is not None:
            self.recorder.close()
        self.status_at_finish = status
        warc_file = self.recorder.relative_name if self.recorder and self.counters["requests"] else None
        return {"run_id": self.run_id, "status": status, "warc_file": warc_file,
                **{name: self.counters[name] for name in COUNTERS}}


class CrawlerBound:
    """Base of Regwatch's middlewares and pipelines: they reach the run of the source a request
    belongs to through the crawler's spider (see crawler.group)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def run_for(self, request) -> RunContext | None:
        return self.crawler.spider.run_for(request)


def store_pending_of(runs: list[RunContext], commit: bool = True) -> None:
    """The waiting items of many runs (sharing one session) in one transaction; commit=False
    leaves it open for the caller (finishing runs commit their records with their last items).
    If storing fails (another writer stored the same document meanwhile, a database error), it is
    rolled back and each run stores its own items, with the per-source retry and error record."""
    waiting = [run for run in runs if run.pending]
    if not waiting:
        return
    session = waiting[0].session
    try:
        counts = [documents.store_items(session, run.source_id, run.pending, run.run_id, commit=False, retry=False)
                  for run in waiting]
        if commit:
            session.commit()
    except SQLAlchemyError:
        session.rollback()
        for run in waiting:
            run.store_pending()
        return
    for run, stored in zip(waiting, counts, strict=True):
        run.pending = []
        run.count_stored(stored)


def finish_together(done: list[RunContext], commit: bool = True) -> None:
    """Conclude the runs (sharing one session) and write their records with one UPDATE and
    their validators with one upsert; commit=False leaves the commit to the caller."""
    records = [run.conclude() for run in done]
    runs.save_validators_of(done[0].session, {run.source_id: run.fresh_validators for run in done
                                              if run.status_at_finish == "ok" and run.fresh_validators}, commit=False)
    runs.finish_runs(done[0].session, records, commit=commit)

