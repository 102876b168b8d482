"""The review queue as the web app shows it: filters, full-text search, counts per status, pages.

A snoozed item whose date has come is `new` again (read that way here, so reading changes nothing).
A document linked to an earlier sighting from another source is part of that item, not its own.
In the queue by status (and assignee, month), a story (one event seen through several sources, see
storage.stories) is one row: its head, with the other members listed under it; a search or a filter
on the documents lists every item it finds, each with its story.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, event, func, or_, select
from sqlalchemy.orm import Session, aliased

from crawler.storage import search, story_views
from crawler.storage.models import Document, TriageState
from crawler.storage.story_models import StoryMember

STATUSES = ("new", "accepted", "rejected", "snoozed")
_COUNTS_CACHE = "regwatch.queue.status_counts"


@dataclass(frozen=True)
class QueueFilter:
    """Empty tuples and None mean "any". `status` None: every status; "updated": changed items."""

    status: str | None = None
    sources: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()  # "US" also matches "US-NJ"
    categories: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    min_relevance: float | None = None
    search: str | None = None
    assignee: str | None = None
    month: str | None = None  # bulletin month YYYY-MM of accepted items


@dataclass
class QueueRow:
    document_id: int
    source_id: str
    title: str
    authority: str | None
    jurisdiction: str | None
    category: str | None
    doc_type: str
    published: date | None
    relevance: float
    matched_terms: list[str]
    summary: str
    url: str
    status: str
    updated: bool
    bulletin_month: str | None
    section: str | None
    assignee: str | None
    snoozed_until: date | None
    editorial_title: str | None
    story: story_views.StoryView | None = None  # the story this item heads or belongs to


@dataclass
class QueuePage:
    rows: list[QueueRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 50

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def effective_status(today: date | None = None, state: Any = TriageState) -> ColumnElement[str]:
    """The status reviewers see: a snooze that has run out reads as new."""
    today = today or date.today()
    woke = and_(state.status == "snoozed", state.snooze_until <= today)
    return case((woke, "new"), else_=state.status)


def _status_condition(status: str, today: date) -> ColumnElement[bool]:
    if status == "updated":
        return TriageState.updated.is_(True)
    if status == "new":
        return or_(TriageState.status == "new",
                   and_(TriageState.status == "snoozed", TriageState.snooze_until <= today))
    if status == "snoozed":
        return and_(TriageState.status == "snoozed",
                    or_(TriageState.snooze_until.is_(None), TriageState.snooze_until > today))
    return TriageState.status == status


def _jurisdiction_condition(codes: tuple[str, ...]) -> ColumnElement[bool]:
    conditions = [Document.jurisdiction.in_(codes)]
    conditions += [Document.jurisdiction.like(f"{code}-%") for code in codes if "-" not in code]
    return or_(*conditions)


def _filtered(session: Session, query: Select, flt: QueueFilter, today: date, with_status: bool) -> Select:
    """The query narrowed by the filter (a search without any searchable word narrows nothing)."""
    query = query.where(Document.linked_to.is_(None))
    if with_status and flt.status:
        query = query.where(_status_condition(flt.status, today))
    if flt.sources:
        query = query.where(Document.source_id.in_(flt.sources))
    if flt.jurisdictions:
        query = query.where(_jurisdiction_condition(flt.jurisdictions))
    if flt.categories:
        query = query.where(Document.category.in_(flt.categories))
    if flt.doc_types:
        query = query.where(Document.doc_type.in_(flt.doc_types))
    if flt.date_from:
        query = query.where(Document.published >= flt.date_from)
    if flt.date_to:
        query = query.where(Document.published <= flt.date_to)
    if flt.min_relevance is not None:
        query = query.where(Document.relevance_score >= flt.min_relevance)
    if flt.assignee:
        query = query.where(TriageState.assignee == flt.assignee)
    if flt.month:
        query = query.where(TriageState.bulletin_month == flt.month)
    if flt.search and flt.search.strip():
        condition = search.matching(session, flt.search)
        if condition is not None:
            query = query.where(condition)
    return query


ROW_COLUMNS = (
    Document.id, Document.source_id, Document.title, Document.authority, Document.jurisdiction,
    Document.category, Document.doc_type, Document.published, Document.relevance_score,
    Document.relevance_terms, Document.summary, Document.url, TriageState.updated,
    TriageState.bulletin_month, TriageState.section, TriageState.assignee, TriageState.snooze_until,
    TriageState.editorial_title,
)


def _row(values: Any, status: str) -> QueueRow:
    (doc_id, source_id, title, authority, jurisdiction, category, doc_type, published, score, terms, summary,
     url, updated, month, section, assignee, snooze_until, editorial_title) = values
    return QueueRow(doc_id, source_id, title, authority, jurisdiction, category, doc_type, published, score,
                    list(terms or []), summary, url, status, bool(updated), month, section, assignee,
                    snooze_until, editorial_title)


def search_queue(session: Session, flt: QueueFilter, page: int = 1, per_page: int = 50,
                 today: date | None = None) -> QueuePage:
    """One page of the filtered queue: newest published first, then most relevant."""
    today = today or date.today()
    page, per_page = max(1, page), max(1, per_page)
    status = effective_status(today).label("status")
    base = select(*ROW_COLUMNS, status).join(TriageState, TriageState.document_id == Document.id)
    query = _without_story_members(session, _filtered(session, base, flt, today, with_status=True), flt, today)
    ordered = query.order_by(Document.published.desc().nulls_last(), Document.relevance_score.desc(),
                             Document.id.desc())
    rows = [_row(r[:-1], r[-1]) for r in session.execute(ordered.limit(per_page).offset((page - 1) * per_page))]
    found = story_views.stories_of(session, [row.document_id for row in rows], today)
    for row in rows:
        row.story = found.get(row.document_id)
    return QueuePage(rows, _total(session, flt, today), page, per_page)


def _is_document_filter(flt: QueueFilter) -> bool:
    return any((flt.sources, flt.jurisdictions, flt.categories, flt.doc_types, flt.date_from, flt.date_to,
                flt.min_relevance is not None, flt.search and flt.search.strip()))


def _without_story_members(session: Session, query: Select, flt: QueueFilter, today: date) -> Select:
    """Leaves out the members listed under their head (same status: a decision on a story is taken
    on all its members). Only in the queue by status, assignee and month: a search or a filter on
    the documents lists every item it finds, each marked with its story."""
    if _is_document_filter(flt):
        return query
    return query.where(Document.id.not_in(_members_under_heads(today)))


def _members_under_heads(today: date) -> Select:
    member_state, head_state = aliased(TriageState), aliased(TriageState)
    return (select(StoryMember.document_id)
            .join(member_state, member_state.document_id == StoryMember.document_id)
            .join(head_state, head_state.document_id == StoryMember.head_id)
            .where(StoryMember.head_id != StoryMember.document_id,
                   effective_status(today, member_state) == effective_status(today, head_state),
                   member_state.assignee.is_not_distinct_from(head_state.assignee),
                   member_state.bulletin_month.is_not_distinct_from(head_state.bulletin_month)))


def _total(session: Session, flt: QueueFilter, today: date) -> int:
    """From the counts per status, which a queue page shows anyway: the filtered set is read once."""
    counts = status_counts(session, flt, today)
    if flt.status is None:
        return sum(counts[s] for s in STATUSES)
    return counts.get(flt.status, 0)


def status_counts(session: Session, flt: QueueFilter, today: date | None = None) -> dict[str, int]:
    """Items per status under every filter but the status one; `updated` counts changed items.
    Kept for the rest of the session's transaction (a page asks twice), forgotten on any write."""
    today = today or date.today()
    key = (replace(flt, status=None), today)
    cache = session.info.setdefault(_COUNTS_CACHE, {})
    if key not in cache:
        cache[key] = _count_statuses(session, key[0], today)
    return dict(cache[key])


def _count_statuses(session: Session, flt: QueueFilter, today: date) -> dict[str, int]:
    status = effective_status(today)
    base = select(status, func.count(), func.sum(case((TriageState.updated.is_(True), 1), else_=0)))
    base = base.select_from(Document).join(TriageState, TriageState.document_id == Document.id)
    counts = dict.fromkeys(STATUSES, 0)
    updated = 0
    for name, count, changed in session.execute(_filtered(session, base, flt, today, with_status=False)
                                                .group_by(status)).all():
        counts[name] = counts.get(name, 0) + count
        updated += changed or 0
    # The members listed under their heads are taken off, counted from the stories' side: a
    # NOT IN on every counted row would cost more than the count.
    if not _is_document_filter(flt):
        members = _filtered(session, base.where(Document.id.in_(_members_under_heads(today))), flt, today,
                            with_status=False).group_by(status)
        for name, count, changed in session.execute(members).all():
            counts[name] = counts.get(name, 0) - count
            updated -= changed or 0
    counts["updated"] = updated
    return counts


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget_counts(session: Session, *_args: Any) -> None:
    session.info.pop(_COUNTS_CACHE, None)


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The values the filters can take: what the stored documents have."""
    def distinct(column) -> list[str]:
        return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]

    return {"sources": distinct(Document.source_id), "jurisdictions": distinct(Document.jurisdiction),
            "categories": distinct(Document.category), "doc_types": distinct(Document.doc_type)}
