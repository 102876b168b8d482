"""The same storage behaviour on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from crawler.config import SourceConfig
from crawler.items import CandidateItem
from crawler.storage import db, documents, runs
from crawler.storage.documents import Evidence, store_items
from crawler.storage.models import Document, DocumentVersion, TriageEvent

FETCHED = datetime(2025, 1, 15, 12, tzinfo=UTC)


def _item(url: str = "https://www.federalregister.gov/d/2025-00636", **fields) -> CandidateItem:
    defaults = dict(
        source="federal-register",
        url=url,
        title="Framework for Artificial Intelligence Diffusion",
        published=date(2025, 1, 15),
        doc_type="rule",
        content_hash="h1",
        fetched_at=FETCHED,
        identifiers={"fr_document_number": "2025-00636"},
    )
    return CandidateItem(**{**defaults, **fields})


@pytest.fixture
def session(database_url):
    session = db.open_session(database_url)
    runs.sync_sources(
        session,
        [
            SourceConfig(
                id="federal-register",
                spider="federal_register",
                urls={"documents": "https://www.federalregister.gov/api/v1/documents.json"},
            )
        ],
    )
    yield session
    session.close()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_new_item_is_stored_once_with_version_and_triage_state(session):
    counts = store_items(session, "federal-register", [(_item(), Evidence("a.warc.gz", 10, "<urn:1>"))])
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 0)
    [(document, triage)] = documents.list_queue(session)
    assert triage.status == "new" and triage.updated is False
    version = session.scalars(select(DocumentVersion)).one()
    assert (version.warc_file, version.warc_offset, version.warc_record_id) == ("a.warc.gz", 10, "<urn:1>")
    assert document.fetched_at == FETCHED  # timezone-aware on both backends


def test_unchanged_item_seen_again_changes_nothing(session):
    store_items(session, "federal-register", [(_item(), None)])
    counts = store_items(session, "federal-register", [(_item(fetched_at=datetime.now(UTC)), None)])
    assert (counts.new, counts.unchanged) == (0, 1)
    assert _count(session, DocumentVersion) == 1
    assert session.scalars(select(Document.fetched_at)).one() == FETCHED


def test_changed_content_becomes_new_version_flagged_updated(session):
    store_items(session, "federal-register", [(_item(), None)])
    counts = store_items(session, "federal-register", [(_item(title="Corrected title", content_hash="h2"), None)])
    assert counts.updated == 1
    [(document, triage)] = documents.list_queue(session, status="updated")
    assert document.title == "Corrected title" and document.version_count == 2
    assert _count(session, DocumentVersion) == 2
    assert session.scalars(select(TriageEvent.action)).all() == ["updated"]


def test_same_document_number_at_another_url_is_the_same_document(session):
    store_items(session, "federal-register", [(_item(), None)])
    counts = store_items(
        session,
        "federal-register",
        [(_item(url="https://www.federalregister.gov/documents/2025/01/15/2025-00636/x"), None)],
    )
    assert counts.unchanged == 1
    assert _count(session, Document) == 1


def test_duplicate_urls_in_one_batch_store_one_document(session):
    counts = store_items(session, "federal-register", [(_item(), None), (_item(), None)])
    assert counts.new == 1 and _count(session, Document) == 1


def test_database_refuses_a_second_row_for_the_same_url(session):
    from sqlalchemy.exc import IntegrityError

    store_items(session, "federal-register", [(_item(), None)])
    row = session.scalars(select(Document)).one()
    clone = Document(**{c.name: getattr(row, c.name) for c in Document.__table__.columns if c.name != "id"})
    session.add(clone)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_run_history_keeps_errors_and_status(session):
    run_id = runs.start_run(session, "federal-register")
    runs.record_error(session, run_id, "fetch_failed", "HTTP 500", "https://example.gov/x")
    runs.finish_run(session, run_id, "failed", {"requests": 3})
    [summary] = runs.source_summaries(
        session, [SourceConfig(id="federal-register", spider="x", urls={"u": "https://example.gov"})]
    )
    assert summary.status == "failed"
    assert summary.last_error == {"kind": "fetch_failed", "message": "HTTP 500", "url": "https://example.gov/x"}


def test_validators_round_trip(session):
    runs.save_validators(session, "federal-register", {"https://x/feed": {"etag": '"abc"', "last_modified": None}})
    assert runs.load_validators(session, "federal-register") == {
        "https://x/feed": {"etag": '"abc"', "last_modified": None}
    }
    changed = {"etag": None, "last_modified": "Thu, 06 Feb 2025 10:00:00 GMT"}
    runs.save_validators(session, "federal-register", {"https://x/feed": changed, "https://x/other": changed})
    assert runs.load_validators(session, "federal-register") == {"https://x/feed": changed, "https://x/other": changed}


def test_store_throughput_floor(session):
    """Guards against accidental per-row round trips: 2,000 new items store well under the time
    a per-row ORM path takes (the real throughput figure comes from benchmarks/)."""
    import time

    batch = [
        (_item(url=f"https://example.gov/doc/{i}", identifiers={}, content_hash=str(i)), None) for i in range(2000)
    ]
    started = time.perf_counter()
    for start in range(0, 2000, 500):
        store_items(session, "federal-register", batch[start : start + 500])
    assert _count(session, Document) == 2000
    assert time.perf_counter() - started < 10
