"""One item for one document seen through several sources.

A public-inspection filing and the Federal Register document it becomes share a document number;
a White House executive order and its Federal Register printing share the order's number, or,
when the White House page gives none, the order's title; a state bill seen through LegiScan and
through the legislature's own site shares the legislature's bill page. Each stored document gets link keys;
a document whose key another source's document already has is linked to the first sighting of
that document (`documents.linked_to`), which stays the one item in the queue and is flagged
updated so reviewers see what the later sighting added.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from crawler.items import CandidateItem
from crawler.normalize import canonical_url
from crawler.storage.models import Document, DocumentLinkKey, TriageEvent, TriageState

# Identifiers that name one document whichever source prints it.
SHARED_IDENTIFIERS = ("fr_document_number", "executive_order_number", "proclamation_number")
# Presidential documents are matched by title too: the White House pages carry no order number.
TITLE_LINKED_TYPES = frozenset({"executive_order", "proclamation", "presidential_memorandum"})
# A bill's own page on the legislature's site (LegiScan gives it as `state_url`).
BILL_TYPES = frozenset({"bill", "law"})
# Titles repeat over the years ("National Day of Prayer"); a title match must be this close in time.
TITLE_WINDOW_DAYS = 60


# The inspection desk files a presidential document under a subject and adds its number:
# "Artificial Intelligence: Removing Barriers to ... (EO 14179)".
DESK_SUBJECT = re.compile(r"^[^:;]{1,80}:\s+")
DESK_NUMBER = re.compile(r"\s*\((?:EO|E\.O\.|Executive Order|Proclamation|Memorandum of|Notice of)\b[^)]*\)\s*$", re.I)


def title_key(title: str) -> str:
    """Case, punctuation and curly quotes do not tell two printings of one title apart."""
    return " ".join(re.sub(r"[\W_]+", " ", title.lower().replace("’", "'").replace("'", "")).split())


def presidential_title_key(title: str) -> str:
    """The title as the White House and the Federal Register print it, also from the desk's form."""
    return title_key(DESK_SUBJECT.sub("", DESK_NUMBER.sub("", title)))


def link_keys(item: CandidateItem) -> list[str]:
    keys = [f"{scheme}:{item.identifiers[scheme]}" for scheme in SHARED_IDENTIFIERS if item.identifiers.get(scheme)]
    if item.doc_type in TITLE_LINKED_TYPES and item.title:
        keys.append(f"title:{item.doc_type}:{presidential_title_key(item.title)}")
    if item.doc_type in BILL_TYPES:
        keys.append(f"bill_page:{canonical_url(item.identifiers.get('state_url') or item.url)}")
    return keys


def _close_in_time(first: date | None, second: date | None) -> bool:
    return first is None or second is None or abs((first - second).days) <= TITLE_WINDOW_DAYS


def _flag(session: Session, primary_id: int, action: str, document_id: int, item: CandidateItem,
          now: datetime) -> None:
    session.execute(update(TriageState).where(TriageState.document_id == primary_id)
                    .values(updated=True, changed_at=now))
    session.execute(insert(TriageEvent).values(
        document_id=primary_id, at=now, actor="regwatch", action=action,
        detail={"document_id": document_id, "source": item.source, "url": item.url}))


def link_stored(session: Session, source_id: str, new: list[tuple[int, CandidateItem]],
                changed: list[tuple[int, CandidateItem]]) -> None:
    """Refresh the link keys of a batch of stored documents and join each to the same document
    from other sources; a few statements per batch, more only for documents that match.

    A group's primary is its earliest public appearance (the signing on whitehouse.gov, the filing
    on the inspection desk, then the printing), whichever source a crawl happened to store first;
    two groups that turn out to be one (a White House order and its inspection filing, joined by
    their printing) merge. A demoted primary hands on the reviewers' triage state when the new
    primary has none yet. `changed`: documents stored before that now have a new version; a change
    to a linked document flags its item."""
    keyed = [(doc_id, item, link_keys(item)) for doc_id, item in new + changed]
    if changed:
        session.execute(delete(DocumentLinkKey).where(DocumentLinkKey.document_id.in_([d for d, _ in changed])))
    rows = [{"document_id": doc_id, "key": key} for doc_id, _, keys in keyed for key in keys]
    if rows:
        session.execute(insert(DocumentLinkKey), rows)
    matches = _matches_by_key(session, source_id, {row["key"] for row in rows})
    linked_before = dict(session.execute(
        select(Document.id, Document.linked_to)
        .where(Document.id.in_([d for d, _ in changed]), Document.linked_to.is_not(None))).all()) if changed else {}
    now = datetime.now(UTC)
    for doc_id, item, keys in keyed:
        found = {row.id for key in keys for row in matches.get(key, [])
                 if not key.startswith("title:") or _close_in_time(row.published, item.published)}
        if found and _join(session, doc_id, found):
            _flag(session, _root(session, doc_id), "linked", doc_id, item, now)
        elif doc_id in linked_before:
            _flag(session, linked_before[doc_id], "linked_updated", doc_id, item, now)


def relink_unchanged(session: Session, source_id: str, document_ids: list[int]) -> None:
    """Join documents seen again unchanged to matches they missed: two crawls storing the two
    sightings at the same moment (the scheduler runs sources in parallel) see neither the other's
    keys. One query per batch; it finds nothing when every group is whole."""
    if not document_ids:
        return
    mine, theirs = aliased(DocumentLinkKey), aliased(DocumentLinkKey)
    own, other = aliased(Document), aliased(Document)
    rows = session.execute(
        select(mine.document_id, mine.key, own.published, other.id, other.published.label("other_published"))
        .join(theirs, theirs.key == mine.key)
        .join(own, own.id == mine.document_id)
        .join(other, other.id == theirs.document_id)
        .where(mine.document_id.in_(document_ids), other.source_id != source_id,
               func.coalesce(own.linked_to, own.id) != func.coalesce(other.linked_to, other.id))
    ).all()
    for row in rows:
        if (not row.key.startswith("title:") or _close_in_time(row.published, row.other_published)) \
                and _join(session, row.document_id, {row.id}):
            primary = _root(session, row.document_id)
            session.execute(insert(TriageEvent).values(
                document_id=primary, at=datetime.now(UTC), actor="regwatch", action="linked",
                detail={"document_id": row.document_id, "source": source_id}))


def _matches_by_key(session: Session, source_id: str, keys: set[str]) -> dict[str, list[Any]]:
    """Other sources' documents holding any of these keys."""
    found: dict[str, list[Any]] = {}
    if not keys:
        return found
    rows = session.execute(
        select(DocumentLinkKey.key, Document.id, Document.published)
        .join(Document, Document.id == DocumentLinkKey.document_id)
        .where(DocumentLinkKey.key.in_(keys), Document.source_id != source_id)
    ).all()
    for row in rows:
        found.setdefault(row.key, []).append(row)
    return found


def _root(session: Session, doc_id: int) -> int:
    linked_to = session.scalar(select(Document.linked_to).where(Document.id == doc_id))
    return linked_to or doc_id


def _join(session: Session, doc_id: int, matched: set[int]) -> bool:
    """Put a document and the groups of the documents it matched under one primary; False when
    they already were."""
    groups = {_root(session, other) for other in matched} | {_root(session, doc_id)}
    if len(groups) == 1:
        return False
    primary = _earliest(session, groups)
    for root in groups - {primary}:
        session.execute(update(Document).where(or_(Document.id == root, Document.linked_to == root))
                        .values(linked_to=primary).execution_options(synchronize_session=False))
        _hand_on_triage(session, root, primary)
    session.expire_all()
    return True


def _earliest(session: Session, ids: set[int]) -> int:
    rows = session.execute(select(Document.id, Document.published).where(Document.id.in_(ids))).all()
    return min(rows, key=lambda row: (row.published or date.max, row.id)).id


def _hand_on_triage(session: Session, demoted: int, primary: int) -> None:
    old, new = session.get(TriageState, demoted), session.get(TriageState, primary)
    if old is not None and new is not None and new.status == "new" and old.status != "new":
        for field in ("status", "bulletin_month", "section", "assignee", "note", "reason", "snooze_until",
                      "editorial_title", "editorial_summary"):
            setattr(new, field, getattr(old, field))
        session.flush()


def linked_documents(session: Session, primary_ids: list[int]) -> dict[int, list[Document]]:
    """The other sightings of each primary document, oldest first."""
    if not primary_ids:
        return {}
    rows = session.scalars(select(Document).where(Document.linked_to.in_(primary_ids)).order_by(Document.id))
    found: dict[int, list[Document]] = {}
    for row in rows:
        found.setdefault(row.linked_to, []).append(row)
    return found


def link_summary(document: Document) -> dict[str, Any]:
    """A linked sighting as `queue --json` lists it under `linked`."""
    return {"id": document.id, "source": document.source_id, "url": document.url, "title": document.title,
            "published": document.published.isoformat() if document.published else None,
            "doc_type": document.doc_type, "identifiers": document.identifiers}
