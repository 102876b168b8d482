"""Stored items for the triage, queue and bulletin tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from crawler.config import SourceConfig
from crawler.items import CandidateItem, Relevance
from crawler.storage import db, runs
from crawler.storage.documents import store_items

FETCHED = datetime(2025, 1, 20, 8, tzinfo=UTC)
SOURCES = [
    SourceConfig(id="federal-register", spider="federal_register", jurisdiction="US", category="law_regulation",
                 urls={"documents": "https://www.federalregister.gov/api/v1/documents.json"}),
    SourceConfig(id="cac", spider="cac", jurisdiction="CN", category="law_regulation",
                 urls={"listing": "https://www.cac.gov.cn/"}),
    SourceConfig(id="nj-legislature", spider="nj_legislature", jurisdiction="US-NJ", category="law_regulation",
                 urls={"api": "https://www.njleg.state.nj.us/"}),
]


def item(source: str, url: str, title: str, published: date | None, **fields) -> CandidateItem:
    defaults = dict(source=source, url=url, title=title, published=published,
                    content_hash=hashlib.sha256(url.encode()).hexdigest(), fetched_at=FETCHED, doc_type="rule",
                    jurisdiction="US", category="law_regulation",
                    authority="Office of the Federal Register", relevance=Relevance(score=0.5, terms=["AI"]))
    return CandidateItem(**{**defaults, **fields})


def open_store(database_url: str):
    session = db.open_session(database_url)
    runs.sync_sources(session, SOURCES)
    return session


def store(session, *items: CandidateItem) -> list[int]:
    """Store the items (grouped by source) and return their document ids in the order given."""
    from sqlalchemy import select

    from crawler.storage.models import Document

    for source in dict.fromkeys(i.source for i in items):
        store_items(session, source, [(i, None) for i in items if i.source == source])
    ids = dict(session.execute(select(Document.url, Document.id)).all())
    return [ids[i.url] for i in items]
