"""Sources finished together close in one transaction (crawler.group.finish_runs), and a conflict
with another writer falls back to each source storing its own items, losing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crawler.config import Config, SourceConfig
from crawler.group import finish_runs
from crawler.items import CandidateItem
from crawler.run import RunContext
from crawler.storage import db, documents, runs
from crawler.storage.documents import store_items
from crawler.storage.models import CrawlRun, Document

NOW = datetime(2025, 2, 6, 12, tzinfo=UTC)
SOURCES = [SourceConfig(id=f"agency-{n}", spider="feed", urls=[f"https://agency{n}.example/feed.xml"],
                        jurisdiction="US") for n in (1, 2)]


def _item(source: str, n: int) -> CandidateItem:
    return CandidateItem(source=source, url=f"https://{source}.example/news/{n}", title=f"AI notice {n}",
                         published=date(2025, 2, 6), doc_type="news", content_hash=f"{source}-{n}", fetched_at=NOW)


@pytest.fixture
def session(database_url):
    session = db.open_session(database_url)
    runs.sync_sources(session, SOURCES)
    yield session
    session.close()


def _finished_runs(session) -> list[RunContext]:
    config = Config(sources=SOURCES)
    run_ids = runs.start_runs(session, [source.id for source in SOURCES])
    contexts = []
    for source in SOURCES:
        context = RunContext(source=source, config=config, session=session, run_id=run_ids[source.id], now=NOW)
        context.pending = [(_item(source.id, n), None) for n in range(3)]
        context.counters["items_parsed"] = 3
        context.fresh_validators = {source.urls["url"]: {"etag": f'"{source.id}"', "last_modified": None}}
        contexts.append(context)
    return contexts


def _stored(session) -> dict[str, int]:
    rows = session.execute(select(Document.source_id, func.count()).group_by(Document.source_id)).all()
    return dict(rows)


def test_runs_done_together_store_their_items_and_close_their_records(session):
    contexts = _finished_runs(session)
    finish_runs(contexts)
    session.expire_all()
    assert _stored(session) == {"agency-1": 3, "agency-2": 3}
    for context in contexts:
        run = session.get(CrawlRun, context.run_id)
        assert (run.status, run.items_new, run.finished_at is not None) == ("ok", 3, True)
        assert runs.load_validators(session, context.source_id) == {
            context.source.urls["url"]: {"etag": f'"{context.source_id}"', "last_modified": None}}


def test_a_conflict_in_the_shared_transaction_falls_back_to_each_source_storing_its_own(
        session, database_url, monkeypatch):
    contexts = _finished_runs(session)
    other = db.open_session(database_url)  # e.g. `regwatch add` of the same page during the crawl
    store_items(other, "agency-2", [(_item("agency-2", 1), None)])
    other.close()
    real_store = documents.store_items

    def store_losing_the_race(session, source_id, batch, run_id=None, commit=True, retry=True):
        counts = real_store(session, source_id, batch, run_id, commit=commit, retry=retry)
        if source_id == "agency-2" and not retry:  # as the unique index answers a writer that lost the race
            raise IntegrityError("INSERT INTO documents", {}, Exception("UNIQUE constraint failed"))
        return counts

    monkeypatch.setattr(documents, "store_items", store_losing_the_race)
    finish_runs(contexts)
    session.expire_all()
    assert _stored(session) == {"agency-1": 3, "agency-2": 3}
    first, second = (session.get(CrawlRun, context.run_id) for context in contexts)
    assert (first.status, first.items_new) == ("ok", 3)
    assert (second.status, second.items_new, second.items_unchanged) == ("ok", 2, 1)
