"""Tables of stories (migration 0009_stories): one event seen through several sources.

A story groups items (first sightings: documents not linked to another, see storage.links) from
different sources; its head is the item the queue shows, the others are listed under it. Each
member keeps its own triage state and history; a decision on the story is taken on every member.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from crawler.storage.models import Base


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    head_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StoryMember(Base):
    """An item's place in a story. A row with `split_by_editor` and no story is an item an editor
    took out of its story: grouping leaves it alone from then on."""

    __tablename__ = "story_members"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"), index=True)
    # The story's head, copied here so that the queue hides members with one indexed lookup.
    head_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # {"with": document id, "score": total, "reasons": [{"kind", "value", "score"}]}; None for the
    # item the story started from.
    joined_by: Mapped[dict[str, Any] | None]
    joined_at: Mapped[datetime | None]
    split_by_editor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    split_by: Mapped[str | None] = mapped_column(String(100))
    split_at: Mapped[datetime | None]


class StoryKey(Base):
    """What an item is looked up by (names, identifiers, MinHash bands of its title and summary),
    suffixed with its period ("name:deepseek-r1@91547"), so that finding candidates reads only the
    periods a window covers."""

    __tablename__ = "story_keys"
    __table_args__ = (Index("ix_story_keys_key_source", "key", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(420))
    day: Mapped[int] = mapped_column(Integer)  # date.toordinal() of the item's publication
