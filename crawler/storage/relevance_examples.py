"""The group's triage decisions as examples for the relevance model.

Accepted into a bulletin = on topic (1); rejected with an off-topic reason (config
`relevance.off_topic_reasons`) = off topic (0). Other rejections (a duplicate, out of period, no
reason given) say nothing about the topic and are left out, as are items still open.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.relevance_model.features import Example, ModelInput
from crawler.storage.models import Document, TriageEvent, TriageState

DECISIONS = ("accept", "reject")


def is_off_topic(reason: str | None, off_topic_reasons: Iterable[str]) -> bool:
    """Whether a rejection reason says the item is not about the topic (a phrase of the list occurs in it)."""
    said = " ".join((reason or "").lower().split())
    return bool(said) and any(phrase.lower() in said for phrase in off_topic_reasons)


def decision_examples(session: Session, off_topic_reasons: Iterable[str]) -> list[Example]:
    """One example per decided item, in document order (so the same decisions give the same model)."""
    phrases = [p for p in off_topic_reasons if p.strip()]
    rows = session.execute(
        select(Document.id, Document.title, Document.summary, Document.source_id, Document.category,
               Document.doc_type, TriageState.status, TriageState.reason)
        .join(TriageState, TriageState.document_id == Document.id)
        .where(TriageState.status.in_(("accepted", "rejected"))).order_by(Document.id)).all()
    examples = []
    for row in rows:
        if row.status == "rejected" and not is_off_topic(row.reason, phrases):
            continue
        item = ModelInput(row.title, row.summary or "", row.source_id, row.category, row.doc_type)
        examples.append(Example(item, 1 if row.status == "accepted" else 0, "decision", str(row.id)))
    return examples


def decisions_since(session: Session, moment: datetime | None) -> int:
    """Accept and reject decisions taken after `moment` (all of them when None)."""
    query = select(func.count()).select_from(TriageEvent).where(TriageEvent.action.in_(DECISIONS))
    if moment is not None:
        query = query.where(TriageEvent.at > moment)
    return int(session.scalar(query) or 0)
