"""Reading stories for display: each member with its source, status and why it joined, as the
queue, the item page and `queue --json` show them (storage.stories groups them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.storage.models import Document, TriageState
from crawler.storage.story_models import StoryMember


@dataclass
class MemberView:
    id: int
    source_id: str
    title: str
    url: str
    published: date | None
    doc_type: str
    status: str
    is_head: bool
    joined_by: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source_id, "title": self.title, "url": self.url,
                "published": self.published.isoformat() if self.published else None, "doc_type": self.doc_type,
                "status": self.status, "head": self.is_head, "joined_by": self.joined_by}


@dataclass
class StoryView:
    id: int
    head_id: int
    members: list[MemberView] = field(default_factory=list)

    @property
    def others(self) -> list[MemberView]:
        return [m for m in self.members if not m.is_head]

    def as_json(self) -> dict[str, Any]:
        """As `queue --json` prints it under `story`."""
        return {"id": self.id, "head": self.head_id, "members": [m.as_json() for m in self.members],
                "joined_by": [{"id": m.id, **m.joined_by} for m in self.members if m.joined_by]}


def stories_of(session: Session, document_ids: Sequence[int], today: date | None = None) -> dict[int, StoryView]:
    """The story of each of these items that is in one (head or member), with every member."""
    if not document_ids:
        return {}
    story_of = dict(session.execute(select(StoryMember.document_id, StoryMember.story_id).where(
        StoryMember.document_id.in_(list(document_ids)), StoryMember.story_id.is_not(None))).all())
    if not story_of:
        return {}
    views: dict[int, StoryView] = {}
    rows = session.execute(
        select(StoryMember.story_id, StoryMember.head_id, StoryMember.joined_by, Document.id, Document.source_id,
               Document.title, Document.url, Document.published, Document.doc_type, TriageState.status,
               TriageState.snooze_until)
        .join(Document, Document.id == StoryMember.document_id)
        .outerjoin(TriageState, TriageState.document_id == Document.id)
        .where(StoryMember.story_id.in_(set(story_of.values())))
        .order_by(StoryMember.story_id, Document.published.asc().nulls_last(), Document.id))
    today = today or date.today()
    for row in rows:
        view = views.setdefault(row.story_id, StoryView(row.story_id, row.head_id))
        status = row.status or "new"
        if status == "snoozed" and row.snooze_until and row.snooze_until <= today:
            status = "new"
        view.members.append(MemberView(row.id, row.source_id, row.title, row.url, row.published, row.doc_type,
                                       status, row.id == row.head_id, row.joined_by))
    for view in views.values():
        view.members.sort(key=lambda m: not m.is_head)
    return {doc_id: views[story_id] for doc_id, story_id in story_of.items() if story_id in views}


def split_out(session: Session, document_id: int) -> dict[str, Any] | None:
    """Who split this item out of its story, and when; None if nobody did."""
    member = session.get(StoryMember, document_id)
    if member is None or not member.split_by_editor:
        return None
    return {"by": member.split_by, "at": member.split_at}
