"""Decisions on queue items. Each one changes the item's triage state and is recorded as an event
(who, what, when, with what detail): the audit trail. The caller commits, so a decision on a
selection of items is one transaction, and an invalid one changes nothing.

A decision taken on a document that is linked to an earlier sighting from another source applies
to that first sighting, the item reviewers see (see storage.links). A decision on an item of a
story (one event seen through several sources, see storage.stories) is taken on every member of
the story, each recording its own event; the editorial text stays the item's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.storage.links import linked_documents
from crawler.storage.models import Document, DocumentIdentifier, DocumentVersion, TriageEvent, TriageState
from crawler.storage.stories import with_story_mates

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The default config's sections; a config with its own passes `sections=` (see Config.bulletin).
DEFAULT_SECTIONS = ("law", "industry")
MAX_TEXT = 20_000


class TriageError(ValueError):
    """A decision that cannot be taken: unknown item, invalid month or section, empty note."""


@dataclass
class Note:
    actor: str
    at: datetime
    text: str


@dataclass
class ItemDetail:
    document: Document
    state: TriageState
    identifiers: dict[str, Any]
    versions: list[DocumentVersion]
    events: list[TriageEvent]
    notes: list[Note]
    linked: list[Document] = field(default_factory=list)  # the same document seen through other sources


def _now() -> datetime:
    return datetime.now(UTC)


def _states(session: Session, ids: Iterable[int], whole_stories: bool = True) -> list[TriageState]:
    """The triage states of these items (first sightings), in the order given, each followed by its
    story's other members (unless `whole_stories` is False); unknown ids raise."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise TriageError("no item given")
    links = dict(session.execute(select(Document.id, Document.linked_to).where(Document.id.in_(wanted))).all())
    missing = [i for i in wanted if i not in links]
    if missing:
        raise TriageError(f"no item {', '.join(map(str, missing))}")
    primary = list(dict.fromkeys(links[i] or i for i in wanted))
    if whole_stories:
        primary = with_story_mates(session, primary)
    found = session.scalars(select(TriageState).where(TriageState.document_id.in_(primary)))
    states = {state.document_id: state for state in found}
    for doc_id in primary:
        if doc_id not in states:  # stored before triage states existed for every document
            states[doc_id] = TriageState(document_id=doc_id, status="new", updated=False, changed_at=_now())
            session.add(states[doc_id])
    return [states[doc_id] for doc_id in primary]


def _record(session: Session, states: list[TriageState], actor: str, action: str, detail: dict[str, Any]) -> None:
    now = _now()
    for state in states:
        state.changed_at = now
        session.add(TriageEvent(document_id=state.document_id, at=now, actor=actor, action=action, detail=detail))
    session.flush()


def check_month(month: str | None) -> str:
    if not month or not MONTH.match(month.strip()):
        raise TriageError(f"bulletin month {month!r}: use YYYY-MM, e.g. 2025-01")
    return month.strip()


def accept(session: Session, ids: Sequence[int], actor: str, month: str, section: str,
           sections: Iterable[str] = DEFAULT_SECTIONS) -> None:
    """Into the bulletin of `month` (YYYY-MM), in `section` (a configured section id)."""
    month = check_month(month)
    known = tuple(sections)
    if section not in known:
        raise TriageError(f"section {section!r}: use one of {', '.join(known)}")
    states = _states(session, ids)
    for state in states:
        state.status, state.bulletin_month, state.section = "accepted", month, section
        state.reason, state.snooze_until, state.updated = None, None, False
    _record(session, states, actor, "accept", {"month": month, "section": section})


def reject(session: Session, ids: Sequence[int], actor: str, reason: str | None) -> None:
    reason = (reason or "").strip()[:MAX_TEXT] or None
    states = _states(session, ids)
    for state in states:
        state.status, state.reason = "rejected", reason
        state.bulletin_month, state.section, state.snooze_until, state.updated = None, None, None, False
    _record(session, states, actor, "reject", {"reason": reason} if reason else {})


def snooze(session: Session, ids: Sequence[int], actor: str, until: date, today: date | None = None) -> None:
    """Out of the queue until `until`, when it reads as new again."""
    if not isinstance(until, date) or until <= (today or date.today()):
        raise TriageError(f"snooze until {until}: give a day after today")
    states = _states(session, ids)
    for state in states:
        state.status, state.snooze_until = "snoozed", until
        state.bulletin_month, state.section, state.updated = None, None, False
    _record(session, states, actor, "snooze", {"until": until.isoformat()})


def assign(session: Session, ids: Sequence[int], actor: str, assignee: str | None) -> None:
    """To a colleague (None or "" unassigns); the status stays as it is."""
    assignee = (assignee or "").strip()[:100] or None
    states = _states(session, ids)
    for state in states:
        state.assignee = assignee
    _record(session, states, actor, "assign", {"assignee": assignee})


def reopen(session: Session, ids: Sequence[int], actor: str) -> None:
    """Back to new, undoing an accept, reject or snooze."""
    states = _states(session, ids)
    for state in states:
        state.status = "new"
        state.bulletin_month, state.section, state.reason, state.snooze_until = None, None, None, None
    _record(session, states, actor, "reopen", {})


def add_note(session: Session, document_id: int, actor: str, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise TriageError("a note needs some text")
    states = _states(session, [document_id])
    for state in states:
        state.note = text[:MAX_TEXT]
    _record(session, states, actor, "note", {"text": text[:MAX_TEXT]})


def set_editorial(session: Session, document_id: int, actor: str, title: str | None, summary: str | None) -> None:
    """The bulletin's own (Chinese) title and 摘要; None or "" falls back to the source's."""
    states = _states(session, [document_id], whole_stories=False)
    state = states[0]
    state.editorial_title = (title or "").strip()[:MAX_TEXT] or None
    state.editorial_summary = (summary or "").strip()[:MAX_TEXT] or None
    _record(session, states, actor, "editorial", {"title": state.editorial_title, "summary": state.editorial_summary})


def history(session: Session, document_id: int) -> list[TriageEvent]:
    """Every event of the item, oldest first."""
    return list(session.scalars(select(TriageEvent).where(TriageEvent.document_id == document_id)
                                .order_by(TriageEvent.at, TriageEvent.id)))


def item_detail(session: Session, document_id: int) -> ItemDetail:
    document = session.get(Document, document_id)
    if document is None:
        raise TriageError(f"no item {document_id}")
    primary_id = document.linked_to or document.id
    state = _states(session, [primary_id], whole_stories=False)[0]
    versions = list(session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document_id)
                                    .order_by(DocumentVersion.version)))
    unique = {row.scheme: row.value for row in session.scalars(
        select(DocumentIdentifier).where(DocumentIdentifier.document_id == document_id))}
    events = history(session, primary_id)
    notes = [Note(e.actor, e.at, e.detail.get("text", "")) for e in events if e.action == "note"]
    linked = [d for d in linked_documents(session, [primary_id]).get(primary_id, []) if d.id != document_id]
    if primary_id != document_id:
        linked.insert(0, session.get(Document, primary_id))
    return ItemDetail(document, state, {**document.identifiers, **unique}, versions, events, notes, linked)
