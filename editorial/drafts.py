"""Bulletin drafts (migration 0010_drafts): one per accepted item, the Chinese title and 摘要 a
model (or the document's own lead sentences) proposed. A draft is never the editor's text: the
editorial title and 摘要 live on the triage state (storage.triage.set_editorial) and win over it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from crawler.storage.models import Base, Document, TriageEvent, TriageState

DRAFT_KINDS = ("model", "extractive")


class Draft(Base):
    """The latest draft of an item (its first sighting, the document reviewers decide on)."""

    __tablename__ = "drafts"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # model | extractive
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    # The document's content hash when drafted: a later version of the document makes the draft stale.
    content_hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class DraftText:
    """What a drafter produced, before it is stored."""

    title: str
    summary: str
    kind: str
    model: str | None = None
    prompt_version: str | None = None


def primary_id(session: Session, document_id: int) -> int | None:
    """The item reviewers see for this document (a linked sighting points at its first), or None."""
    found = session.execute(select(Document.id, Document.linked_to).where(Document.id == document_id)).first()
    return None if found is None else (found.linked_to or found.id)


def get_draft(session: Session, document_id: int) -> Draft | None:
    return session.get(Draft, document_id)


def save_draft(session: Session, document: Document, text: DraftText, actor: str) -> Draft:
    """Store (or replace) the item's draft and note it in the item's history; the caller commits.
    The editorial title and 摘要 are not touched."""
    if text.kind not in DRAFT_KINDS:
        raise ValueError(f"draft kind {text.kind!r}: use one of {', '.join(DRAFT_KINDS)}")
    now = datetime.now(UTC)
    draft = session.get(Draft, document.id) or Draft(document_id=document.id)
    draft.title, draft.summary, draft.kind = text.title, text.summary, text.kind
    draft.model, draft.prompt_version = text.model, text.prompt_version
    draft.created_at, draft.created_by, draft.content_hash = now, actor[:100], document.content_hash
    session.add(draft)
    # An event only: drafting is not a decision, so the state's changed_at stays as it was.
    session.add(TriageEvent(document_id=document.id, at=now, actor=actor[:100], action="draft",
                            detail={k: v for k, v in (("kind", text.kind), ("model", text.model),
                                                      ("prompt_version", text.prompt_version)) if v}))
    session.flush()
    return draft


def accepted_without_draft(session: Session, month: str | None = None, since: datetime | None = None) -> list[int]:
    """Accepted items with no draft and no editorial text yet (the editor's text is what the
    bulletin prints then): those of a bulletin month (the month they were accepted into, as the
    export picks them), or those whose triage state changed since a moment."""
    query = (select(TriageState.document_id)
             .outerjoin(Draft, Draft.document_id == TriageState.document_id)
             .where(TriageState.status == "accepted", Draft.document_id.is_(None),
                    TriageState.editorial_title.is_(None), TriageState.editorial_summary.is_(None))
             .order_by(TriageState.document_id))
    if month is not None:
        query = query.where(TriageState.bulletin_month == month)
    if since is not None:
        query = query.where(TriageState.changed_at >= since)
    return list(session.scalars(query))
