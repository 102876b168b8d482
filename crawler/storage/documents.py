"""Storing candidate items with database-enforced dedup, and reading the queue back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from crawler.items import UNIQUE_IDENTIFIERS, CandidateItem, Relevance
from crawler.storage import search
from crawler.storage.links import link_stored, link_summary, linked_documents, relink_unchanged
from crawler.storage.models import (
    Document,
    DocumentIdentifier,
    DocumentVersion,
    TriageEvent,
    TriageState,
)
from crawler.storage.story_models import StoryMember
from crawler.storage.story_views import stories_of

QUEUE_STATUSES = ("new", "accepted", "rejected", "snoozed", "updated")


@dataclass(frozen=True)
class Evidence:
    """Where the response an item came from is archived."""

    warc_file: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None


@dataclass
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: StoreCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged


def _document_fields(item: CandidateItem) -> dict[str, Any]:
    return {
        "url": item.url, "title": item.title, "published": item.published,
        "authority": item.authority, "jurisdiction": item.jurisdiction, "category": item.category,
        "doc_type": item.doc_type, "identifiers": item.identifiers,
        "dates": {k: v.isoformat() for k, v in item.dates.items()}, "summary": item.summary,
        "text": item.text, "language": item.language, "content_hash": item.content_hash,
        **relevance_columns(item.relevance), "fetched_at": item.fetched_at, "extraction": item.extraction,
    }


def relevance_columns(relevance: Relevance) -> dict[str, Any]:
    """The documents columns of a relevance: score and terms as before, the breakdown as JSON."""
    detail = relevance.model_dump(mode="json", exclude={"score", "terms"})
    return {"relevance_score": relevance.score, "relevance_terms": relevance.terms, "relevance_detail": detail,
            "relevance_model_version": relevance.model.version if relevance.model else None}


def stored_relevance(document: Document) -> Relevance:
    """A stored document's relevance; rows from before the breakdown (no detail) were scored by terms."""
    detail = document.relevance_detail or {"terms_score": document.relevance_score,
                                            "parts": {"terms": document.relevance_score}}
    return Relevance.model_validate({**detail, "score": document.relevance_score, "terms": document.relevance_terms})


def _unique_ids(item: CandidateItem) -> list[tuple[str, str]]:
    return [(k, v) for k, v in item.identifiers.items() if k in UNIQUE_IDENTIFIERS and v]


def _find_existing(session: Session, source_id: str, items: list[CandidateItem]) -> dict[str, tuple]:
    """Stored (id, content_hash, version_count) per item URL, matched by URL or unique identifier."""
    rows = session.execute(
        select(Document.url, Document.id, Document.content_hash, Document.version_count).where(
            Document.source_id == source_id, Document.url.in_([i.url for i in items])
        )
    ).all()
    found = {row.url: (row.id, row.content_hash, row.version_count) for row in rows}
    pairs = {pair: item.url for item in items if item.url not in found for pair in _unique_ids(item)}
    if pairs:
        matches = session.execute(
            select(DocumentIdentifier.scheme, DocumentIdentifier.value, Document.id,
                   Document.content_hash, Document.version_count)
            .join(Document, Document.id == DocumentIdentifier.document_id)
            .where(DocumentIdentifier.source_id == source_id,
                   tuple_(DocumentIdentifier.scheme, DocumentIdentifier.value).in_(list(pairs)))
        ).all()
        for match in matches:
            found.setdefault(pairs[(match.scheme, match.value)], (match.id, match.content_hash, match.version_count))
    return found


def _version_row(document_id: int, version: int, item: CandidateItem, evidence: Evidence | None,
                 run_id: int | None) -> dict[str, Any]:
    evidence = evidence or Evidence()
    return {
        "document_id": document_id, "version": version, "content_hash": item.content_hash,
        "item": item.model_dump(mode="json"), "fetched_at": item.fetched_at, "run_id": run_id,
        "warc_file": evidence.warc_file, "warc_offset": evidence.warc_offset,
        "warc_record_id": evidence.warc_record_id,
    }


def _insert_new(session: Session, source_id: str, batch: list[tuple[CandidateItem, Evidence | None]],
                run_id: int | None, now: datetime) -> list[int]:
    """Core inserts: the ORM's bulk path costs more per row than the insert itself. The new ids
    come back with their URLs, in any order: asking for them in row order makes SQLite insert one
    row at a time."""
    table = Document.__table__
    id_of = dict(session.execute(insert(table).returning(table.c.url, table.c.id), [
        {**_document_fields(item), "source_id": source_id, "first_seen_at": now, "version_count": 1}
        for item, _ in batch
    ]).all())
    ids = [id_of[item.url] for item, _ in batch]
    session.execute(insert(DocumentVersion.__table__), [
        _version_row(doc_id, 1, item, evidence, run_id) for doc_id, (item, evidence) in zip(ids, batch, strict=True)
    ])
    session.execute(insert(TriageState.__table__), [
        {"document_id": doc_id, "status": "new", "updated": False, "changed_at": now} for doc_id in ids
    ])
    identifier_rows = [
        {"document_id": doc_id, "source_id": source_id, "scheme": scheme, "value": value}
        for doc_id, (item, _) in zip(ids, batch, strict=True) for scheme, value in _unique_ids(item)
    ]
    if identifier_rows:
        session.execute(insert(DocumentIdentifier.__table__), identifier_rows)
    return ids


def _apply_updates(session: Session, changed: list[tuple[int, int, CandidateItem, Evidence | None]],
                   run_id: int | None, now: datetime) -> None:
    fields = [{**_document_fields(item), "id": doc_id, "version_count": version}
              for doc_id, version, item, _ in changed]
    # The URL of the first sighting stays the document's address.
    for row in fields:
        row.pop("url")
    session.execute(update(Document), fields)
    session.execute(insert(DocumentVersion), [
        _version_row(doc_id, version, item, evidence, run_id) for doc_id, version, item, evidence in changed
    ])
    session.execute(update(TriageState), [
        {"document_id": doc_id, "updated": True, "changed_at": now} for doc_id, *_ in changed
    ])
    session.execute(insert(TriageEvent), [
        {"document_id": doc_id, "at": now, "actor": "regwatch", "action": "updated",
         "detail": {"version": version, "content_hash": item.content_hash}}
        for doc_id, version, item, _ in changed
    ])


def _store_once(session: Session, source_id: str, batch: list[tuple[CandidateItem, Evidence | None]],
                run_id: int | None, commit: bool) -> StoreCounts:
    latest = {item.url: (item, evidence) for item, evidence in batch}  # a URL twice in one batch: last wins
    items = [item for item, _ in latest.values()]
    existing = _find_existing(session, source_id, items)
    now = datetime.now(UTC)
    counts, fresh, changed, unchanged = StoreCounts(), [], [], []
    for url, (item, evidence) in latest.items():
        if url not in existing:
            fresh.append((item, evidence))
        elif existing[url][1] == item.content_hash:
            counts.unchanged += 1
            unchanged.append(existing[url][0])
        else:
            doc_id, _, version_count = existing[url]
            changed.append((doc_id, version_count + 1, item, evidence))
    new_ids = _insert_new(session, source_id, fresh, run_id, now) if fresh else []
    if changed:
        _apply_updates(session, changed, run_id, now)
    search.index_documents(session, [(doc_id, item.title, item.summary, item.text)
                                     for doc_id, (item, _) in zip(new_ids, fresh, strict=True)], replace=False)
    search.index_documents(session, [(doc_id, item.title, item.summary, item.text) for doc_id, _, item, _ in changed])
    link_stored(session, source_id, [(doc_id, item) for doc_id, (item, _) in zip(new_ids, fresh, strict=True)],
                [(doc_id, item) for doc_id, _, item, _ in changed])
    relink_unchanged(session, source_id, unchanged)
    counts.new, counts.updated = len(fresh), len(changed)
    if commit:
        session.commit()
    return counts


def store_items(session: Session, source_id: str, batch: list[tuple[CandidateItem, Evidence | None]],
                run_id: int | None = None, commit: bool = True, retry: bool = True) -> StoreCounts:
    """Insert new documents, version changed ones, leave unchanged ones untouched.

    Another writer may have stored the same document meanwhile; the unique constraints then
    refuse our insert, and a second pass sees their row and treats ours as a re-sighting.
    With commit=False the caller commits; with retry=False a conflict is raised to the caller,
    whose other uncommitted work a retry here would roll back. Stories are grouped afterwards,
    outside the crawl (storage.stories.group_new).
    """
    if not batch:
        return StoreCounts()
    try:
        return _store_once(session, source_id, batch, run_id, commit)
    except IntegrityError:
        if not retry:
            raise
        session.rollback()
        return _store_once(session, source_id, batch, run_id, commit)


def item_from_row(document: Document) -> CandidateItem:
    return CandidateItem(
        source=document.source_id, url=document.url, title=document.title,
        published=document.published, authority=document.authority,
        jurisdiction=document.jurisdiction, category=document.category, doc_type=document.doc_type,
        identifiers=document.identifiers, summary=document.summary, language=document.language,
        content_hash=document.content_hash, fetched_at=document.fetched_at,
        relevance=stored_relevance(document),
        dates=document.dates, text=document.text, extraction=document.extraction or "source",
    )


def queue_entry(document: Document, triage: TriageState, full: bool = False) -> dict[str, Any]:
    """An item as `queue --json` prints it: the item keys plus id, status, the updated flag,
    `linked`, the same document as other sources printed it (see storage.links), and `story`, the
    event it is part of with every member and why each joined (see storage.stories), or None."""
    session = object_session(document)
    linked = linked_documents(session, [document.id]).get(document.id, []) if session else []
    story = stories_of(session, [document.id]).get(document.id) if session else None
    return {"id": document.id, "status": triage.status, "updated": triage.updated,
            **item_from_row(document).public_dict(full=full), "linked": [link_summary(d) for d in linked],
            "story": story.as_json() if story else None}


def list_queue(session: Session, status: str | None = None, limit: int | None = None,
               source_id: str | None = None, search_text: str | None = None,
               by_story: bool = False) -> list[tuple[Document, TriageState]]:
    """Newest first, then most relevant; `updated` selects changed items whatever their status.
    A document linked to an earlier sighting from another source is part of that item, not its own.
    `search_text`: full-text search over title, summary and text (see storage.search). `by_story`:
    a story's members are left out where its head is listed (queue_entry lists them under it)."""
    conditions = [Document.linked_to.is_(None)]
    if status == "updated":
        conditions.append(TriageState.updated.is_(True))
    elif status:
        conditions.append(TriageState.status == status)
    if source_id:
        conditions.append(Document.source_id == source_id)
    matches = search.matching(session, search_text) if search_text else None
    if matches is not None:
        conditions.append(matches)
    query = select(Document, TriageState).join(TriageState, TriageState.document_id == Document.id).where(*conditions)
    if by_story:
        heads = select(Document.id).join(TriageState, TriageState.document_id == Document.id).where(
            *conditions, Document.id.in_(select(StoryMember.head_id)))
        query = query.where(Document.id.not_in(select(StoryMember.document_id).where(
            StoryMember.head_id != StoryMember.document_id, StoryMember.head_id.in_(heads))))
    query = query.order_by(Document.published.desc().nulls_last(), Document.relevance_score.desc(),
                           Document.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [(row[0], row[1]) for row in session.execute(query).all()]


def get_document(session: Session, document_id: int) -> tuple[Document, TriageState, list[DocumentVersion]] | None:
    document = session.get(Document, document_id)
    if document is None:
        return None
    triage = session.get(TriageState, document_id)
    versions = session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id == document_id).order_by(DocumentVersion.version)
    ).all()
    return document, triage, list(versions)


def stored_urls(session: Session, source_id: str, urls: list[str]) -> set[str]:
    """Which of these canonical URLs are already stored for this source."""
    if not urls:
        return set()
    return set(session.scalars(
        select(Document.url).where(Document.source_id == source_id, Document.url.in_(urls))
    ))


def stored_by_identifier(session: Session, source_id: str, scheme: str, values: list[str]) -> dict[str, Document]:
    """This source's stored documents named by these values of a unique identifier."""
    if not values:
        return {}
    rows = session.execute(
        select(DocumentIdentifier.value, Document)
        .join(Document, Document.id == DocumentIdentifier.document_id)
        .where(DocumentIdentifier.source_id == source_id, DocumentIdentifier.scheme == scheme,
               DocumentIdentifier.value.in_(values))
    ).all()
    return {row[0]: row[1] for row in rows}
