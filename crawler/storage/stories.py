"""Stories in the database: grouping stored items, choosing each story's head, splitting by editors.

Grouping runs after items are stored (group_new: the service's tick, the end of `regwatch crawl`,
add by URL) and by `regwatch stories rebuild`.
Each item's keys (crawler.stories.keys) are written to `story_keys` with its day; candidates are
the other sources' items sharing a key within the window, found by one indexed join per batch,
and only those are compared. An item joins the best-scoring story it matches that has no item of
its own source yet; the head is the most authoritative member (crawler.stories.authority_rank),
then the earliest. Items linked to another sighting of the same document (storage.links) are
part of that item and never members themselves. An item an editor split out stays out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from crawler import stories as matching
from crawler.storage.models import Document, DocumentVersion, TriageEvent, TriageState
from crawler.storage.scheduler_models import ServiceState
from crawler.storage.story_models import Story, StoryKey, StoryMember

REBUILD_CHUNK = 500
GROUPED_WATERMARK = "stories.last_version_id"  # in service_state: the versions grouped so far
BUCKET_DAYS = 8
# A key that this many other items share within one period is boilerplate (a standard summary, a
# recurring title), not the sign of one event: it finds no candidates. It also keeps grouping
# linear when many sources carry the same text (a wire story syndicated everywhere).
HOT_KEY_LIMIT = 16
# The others compared with an item: those sharing the most keys with it. An event is told by a
# handful of sources; comparing every sharer made a crawl of syndicated feeds quadratic.
CANDIDATES_PER_ITEM = 8
# The triage fields a newcomer takes from a story already decided.
DECISION_FIELDS = ("status", "bulletin_month", "section", "assignee", "reason", "snooze_until")


class StoryError(ValueError):
    """A story operation that cannot be done: unknown item, item in no story."""


@dataclass(frozen=True)
class StorySettings:
    window_days: int = matching.DEFAULT_WINDOW_DAYS
    min_score: float = matching.DEFAULT_MIN_SCORE


def configured(config: Any) -> StorySettings:
    """config.yaml's `stories:` window and threshold."""
    return StorySettings(window_days=config.stories.window_days, min_score=config.stories.min_score)


@dataclass
class RebuildReport:
    documents: int = 0
    stories: int = 0
    grouped: int = 0
    kept_apart: int = 0


def _day(published: date | None, first_seen: datetime | None) -> int:
    return (published or (first_seen.date() if first_seen else date.today())).toordinal()


def _rows(session: Session, ids: Iterable[int]) -> dict[int, Any]:
    wanted = list(ids)
    found: dict[int, Any] = {}
    for start in range(0, len(wanted), REBUILD_CHUNK):
        found.update((row.id, row) for row in session.execute(
            select(Document.id, Document.source_id, Document.title, Document.summary, Document.identifiers,
                   Document.published, Document.first_seen_at, Document.doc_type, Document.category,
                   Document.linked_to).where(Document.id.in_(wanted[start:start + REBUILD_CHUNK]))))
    return found


def _features(row: Any) -> matching.StoryFeatures:
    identifiers = json.dumps(row.identifiers or {}, sort_keys=True, default=str)
    return _features_of(row.id, row.title, row.summary, identifiers, _day(row.published, row.first_seen_at))


@lru_cache(maxsize=50_000)
def _features_of(doc_id: int, title: str, summary: str | None, identifiers: str, day: int) -> matching.StoryFeatures:
    """Cached per document and content: a crawl compares each new item with items it stored a
    moment before, whose features it already computed."""
    return matching.features(title, summary, json.loads(identifiers), day)


def group_stored(session: Session, document_ids: Sequence[int], settings: StorySettings = StorySettings(),
                 hand_on: bool = True) -> int:
    """Key these stored items and join each to a story of other sources' items; returns how many
    joined. `hand_on` (storing new items): each join is an event in the item's history, and a new
    item joining a story already decided takes that decision."""
    if not document_ids:
        return 0
    rows = _rows(session, document_ids)
    linked = [doc_id for doc_id, row in rows.items() if row.linked_to is not None]
    if linked:
        _leave(session, linked)
    rows = {doc_id: row for doc_id, row in rows.items() if row.linked_to is None}
    found = {doc_id: _features(row) for doc_id, row in rows.items()}
    own_keys = dict(zip(rows, matching.keys_of([found[doc_id] for doc_id in rows]), strict=True))
    session.execute(delete(StoryKey).where(StoryKey.document_id.in_(list(document_ids))))
    keyed = [{"document_id": doc_id, "source_id": rows[doc_id].source_id, "key": _bucketed(key, found[doc_id].day),
              "day": found[doc_id].day} for doc_id in rows for key in own_keys[doc_id]]
    if keyed:
        session.execute(insert(StoryKey.__table__), keyed)  # Core: the ORM's bulk path costs more per row
    candidates: dict[int, set[int]] = {}
    for source_id in {row.source_id for row in rows.values()}:
        mine = {doc_id: own_keys[doc_id] for doc_id, row in rows.items() if row.source_id == source_id}
        candidates.update(_candidates(session, source_id, mine, found, settings.window_days))
    if not candidates:
        return 0
    others = {doc_id: row for doc_id, row in
              _rows(session, {c for cs in candidates.values() for c in cs} - set(rows)).items()
              if row.linked_to is None}
    rows.update(others)
    found.update((doc_id, _features(row)) for doc_id, row in others.items())
    return _Grouping(session, rows, found, settings, hand_on).run(candidates)


def _bucketed(key: str, day: int) -> str:
    """Keys are stored per period of BUCKET_DAYS days: a lookup reads only the periods its window
    covers, however many items shared the key over the years."""
    return f"{key}@{day // BUCKET_DAYS}"


def _candidates(session: Session, source_id: str, keys_of: dict[int, list[str]],
                found: dict[int, matching.StoryFeatures], window_days: int) -> dict[int, set[int]]:
    """Other sources' items sharing a key with each of these items (all of `source_id`)
    within the window. The source condition is two ranges, so that the (key, source) index skips
    the source's own items: a source repeats its titles and summaries far more than others do."""
    wanted: dict[str, list[int]] = {}
    for doc_id, keys in keys_of.items():
        day = found[doc_id].day
        for bucket in range((day - window_days) // BUCKET_DAYS, (day + window_days) // BUCKET_DAYS + 1):
            for key in keys:
                wanted.setdefault(f"{key}@{bucket}", []).append(doc_id)
    lookups = list(wanted)
    matched: dict[int, dict[int, int]] = {}  # item -> other item -> keys they share
    for start in range(0, len(lookups), REBUILD_CHUNK):
        others = or_(StoryKey.source_id < source_id, StoryKey.source_id > source_id)
        # Hot keys are counted on the index and never read: syndicated text shares a key with
        # thousands of items, whose rows would cost more than the whole crawl that stored them.
        chunk = lookups[start:start + REBUILD_CHUNK]
        hot = set(session.scalars(select(StoryKey.key).where(StoryKey.key.in_(chunk), others)
                                  .group_by(StoryKey.key).having(func.count() > HOT_KEY_LIMIT)))
        cool = [key for key in chunk if key not in hot]
        if not cool:
            continue
        # Linked items are left out when their rows are read: a join with documents here would
        # let the planner start from documents instead of the key index.
        rows = session.execute(
            select(StoryKey.key, StoryKey.document_id, StoryKey.day).where(StoryKey.key.in_(cool), others))
        by_key: dict[str, list[tuple[int, int]]] = {}
        for key, other, day in rows:
            by_key.setdefault(key, []).append((other, day))
        for key, sightings in by_key.items():
            if len(sightings) > HOT_KEY_LIMIT:  # boilerplate shared by many items is no sign of one event
                continue
            for doc_id in wanted[key]:
                day = found[doc_id].day
                shared = matched.setdefault(doc_id, {})
                for other, other_day in sightings:
                    if abs(day - other_day) <= window_days:
                        shared[other] = shared.get(other, 0) + 1
    return {doc_id: set(sorted(shared, key=lambda o: (-shared[o], o))[:CANDIDATES_PER_ITEM])
            for doc_id, shared in matched.items() if shared}


class _Grouping:
    """One pass over a batch: memberships are read once and kept current in memory."""

    def __init__(self, session: Session, rows: dict[int, Any], found: dict[int, matching.StoryFeatures],
                 settings: StorySettings, hand_on: bool) -> None:
        self.session, self.rows, self.found, self.settings, self.hand_on = session, rows, found, settings, hand_on
        self.members = {m.document_id: m for m in session.scalars(
            select(StoryMember).where(StoryMember.document_id.in_(list(rows))))}
        self.sources: dict[int, set[str]] = {}
        stories = {m.story_id for m in self.members.values() if m.story_id is not None}
        for start in range(0, len(stories), REBUILD_CHUNK):  # the sources of every story in play, at once
            chunk = list(stories)[start:start + REBUILD_CHUNK]
            for story_id, source_id in session.execute(
                    select(StoryMember.story_id, Document.source_id)
                    .join(Document, StoryMember.document_id == Document.id).where(StoryMember.story_id.in_(chunk))):
                self.sources.setdefault(story_id, set()).add(source_id)
        self.joined: list[tuple[int, int, int, float]] = []  # (item, story, matched item, score)

    def run(self, candidates: dict[int, set[int]]) -> int:
        for doc_id in sorted(candidates, key=lambda d: (self.found[d].day, d)):
            member = self.members.get(doc_id)
            if member is not None and (member.split_by_editor or member.story_id is not None):
                continue
            self._join_best(doc_id, candidates[doc_id])
        self.session.flush()
        heads = choose_heads(self.session, {j[1] for j in self.joined})
        decided = _decided(self.session, set(heads)) if self.hand_on else {}
        now = datetime.now(UTC)
        for doc_id, story_id, other, score in self.joined:
            if not self.hand_on:  # regrouping (rebuild, undoing a split) is no news in an item's history
                continue
            self.session.add(TriageEvent(document_id=doc_id, at=now, actor="regwatch", action="story_joined",
                                         detail={"story": story_id, "head": heads[story_id], "with": other,
                                                 "score": score}))
            if story_id in decided and decided[story_id].document_id != doc_id:
                _hand_on_decision(self.session, decided[story_id], doc_id, story_id, now)
        self.session.flush()
        return len(self.joined)

    def _join_best(self, doc_id: int, candidates: set[int]) -> None:
        scored = []
        for other in candidates:
            member = self.members.get(other)
            if other not in self.found or (member is not None and member.split_by_editor):
                continue
            join = matching.compare(self.found[doc_id], self.found[other], self.settings.window_days)
            if join is not None and join.score >= self.settings.min_score:
                scored.append((-join.score, other, join))
        source = self.rows[doc_id].source_id
        for _, other, join in sorted(scored, key=lambda s: (s[0], s[1])):
            story_id = self.members[other].story_id if other in self.members else None
            sources = self._sources(story_id) if story_id else {self.rows[other].source_id}
            if source in sources:  # one item per source in a story: a second report is another story
                continue
            self._join(doc_id, other, story_id, join)
            return

    def _sources(self, story_id: int) -> set[str]:
        if story_id not in self.sources:
            self.sources[story_id] = set(self.session.scalars(
                select(Document.source_id).join(StoryMember, StoryMember.document_id == Document.id)
                .where(StoryMember.story_id == story_id)))
        return self.sources[story_id]

    def _join(self, doc_id: int, other: int, story_id: int | None, join: matching.Join) -> None:
        now = datetime.now(UTC)
        if story_id is None:
            story = Story(head_id=other, created_at=now, updated_at=now)
            self.session.add(story)
            self.session.flush()
            story_id = story.id
            self._member(other, story_id, None, now)
            self.sources[story_id] = {self.rows[other].source_id}
        self._member(doc_id, story_id, {"with": other, **join.as_json()}, now)
        self.sources[story_id].add(self.rows[doc_id].source_id)
        self.joined.append((doc_id, story_id, other, join.score))

    def _member(self, doc_id: int, story_id: int, joined_by: dict[str, Any] | None, now: datetime) -> None:
        member = self.members.get(doc_id)
        if member is None:
            member = StoryMember(document_id=doc_id, split_by_editor=False)
            self.session.add(member)
            self.members[doc_id] = member
        member.story_id, member.joined_by, member.joined_at = story_id, joined_by, now


def choose_head(session: Session, story_id: int) -> int:
    return choose_heads(session, {story_id})[story_id]


def choose_heads(session: Session, story_ids: set[int]) -> dict[int, int]:
    """Each story's most authoritative member (the instrument, then the organisation's own word,
    then reports), then the earliest; written to the story and copied to its members."""
    if not story_ids:
        return {}
    members: dict[int, list[Any]] = {}
    for row in session.execute(
            select(StoryMember.story_id, Document.id, Document.doc_type, Document.category, Document.published)
            .join(StoryMember, StoryMember.document_id == Document.id).where(StoryMember.story_id.in_(story_ids))):
        members.setdefault(row.story_id, []).append(row)
    heads = {story_id: min(rows, key=lambda r: (matching.authority_rank(r.doc_type, r.category),
                                                r.published or date.max, r.id)).id
             for story_id, rows in members.items()}
    now = datetime.now(UTC)
    stories, members_table = Story.__table__, StoryMember.__table__
    session.execute(update(stories).where(stories.c.id == bindparam("story")).values(
        head_id=bindparam("head"), updated_at=now), [{"story": s, "head": h} for s, h in heads.items()])
    session.execute(update(members_table).where(members_table.c.story_id == bindparam("story")).values(
        head_id=bindparam("head")), [{"story": s, "head": h} for s, h in heads.items()])
    for instance in list(session.identity_map.values()):  # the rows changed under these objects
        if isinstance(instance, Story | StoryMember):
            session.expire(instance, ["head_id"])
    return heads


def _decided(session: Session, story_ids: set[int]) -> dict[int, TriageState]:
    """The latest decision taken on a member of each of these stories, where one was."""
    found: dict[int, TriageState] = {}
    for story_id, state in session.execute(
            select(StoryMember.story_id, TriageState).join(TriageState, TriageState.document_id ==
                                                           StoryMember.document_id)
            .where(StoryMember.story_id.in_(story_ids), TriageState.status != "new")
            .order_by(TriageState.changed_at.desc())):
        found.setdefault(story_id, state)
    return found


def _hand_on_decision(session: Session, decided: TriageState, newcomer: int, story_id: int, now: datetime) -> None:
    """A new item joining a story already decided takes that decision (and says so in its history)."""
    state = session.get(TriageState, newcomer)
    if state is None or state.status != "new":
        return
    for name in DECISION_FIELDS:
        setattr(state, name, getattr(decided, name))
    state.changed_at = now
    session.add(TriageEvent(document_id=newcomer, at=now, actor="regwatch", action="story_decision",
                            detail={"story": story_id, "from": decided.document_id, "status": decided.status}))


def _leave(session: Session, ids: list[int]) -> None:
    """These items are no longer their own (linked to another sighting): out of their stories."""
    story_ids = set(session.scalars(select(StoryMember.story_id).where(
        StoryMember.document_id.in_(ids), StoryMember.story_id.is_not(None))))
    session.execute(delete(StoryMember).where(StoryMember.document_id.in_(ids), StoryMember.split_by_editor.is_(False)))
    session.execute(update(StoryMember).where(StoryMember.document_id.in_(ids)).values(story_id=None, head_id=None))
    for story_id in story_ids:
        _settle(session, story_id)


def _settle(session: Session, story_id: int) -> None:
    """A story left with one member is no story: dissolve it; otherwise choose its head again."""
    remaining = session.scalars(select(StoryMember).where(StoryMember.story_id == story_id)).all()
    if len(remaining) >= 2:
        choose_head(session, story_id)
        return
    for member in remaining:
        session.delete(member)
    session.execute(delete(Story).where(Story.id == story_id))
    session.flush()


def split(session: Session, document_id: int, actor: str) -> int:
    """Take an item out of its story for good (grouping leaves it alone); returns the story id."""
    member = session.get(StoryMember, document_id)
    if member is None or member.story_id is None:
        raise StoryError(f"item {document_id} is in no story")
    story_id, head = member.story_id, member.head_id
    member.story_id, member.head_id, member.joined_by = None, None, None
    member.split_by_editor, member.split_by, member.split_at = True, actor, datetime.now(UTC)
    session.add(TriageEvent(document_id=document_id, at=member.split_at, actor=actor, action="story_split",
                            detail={"story": story_id, "head": head}))
    session.flush()
    _settle(session, story_id)
    return story_id


def allow_grouping(session: Session, document_id: int, actor: str,
                   settings: StorySettings = StorySettings()) -> bool:
    """Undo an editor's split: the item may be grouped again, and is, if it matches; True if it joined."""
    member = session.get(StoryMember, document_id)
    if member is None or not member.split_by_editor:
        raise StoryError(f"item {document_id} was not split out of a story")
    session.delete(member)
    session.add(TriageEvent(document_id=document_id, at=datetime.now(UTC), actor=actor, action="story_unsplit",
                            detail={}))
    session.flush()
    return group_stored(session, [document_id], settings, hand_on=False) > 0


def group_new(session: Session, settings: StorySettings = StorySettings()) -> int:
    """Group the items stored or changed since the last call (their versions past a watermark) and
    commit; returns how many joined a story. The crawl only stores: grouping runs after it (the
    service's tick, the end of `regwatch crawl`, add by URL), so it costs the crawl nothing."""
    mark = session.get(ServiceState, GROUPED_WATERMARK) or ServiceState(key=GROUPED_WATERMARK, value="0")
    last, newest = int(mark.value), session.scalar(select(func.max(DocumentVersion.id))) or 0
    if newest <= last:
        return 0
    ids = list(dict.fromkeys(session.scalars(
        select(DocumentVersion.document_id).where(DocumentVersion.id > last, DocumentVersion.id <= newest)
        .order_by(DocumentVersion.id))))
    joined = sum(group_stored(session, ids[start:start + REBUILD_CHUNK], settings)
                 for start in range(0, len(ids), REBUILD_CHUNK))
    mark.value = str(newest)
    session.add(mark)
    session.commit()
    return joined


def rebuild(session: Session, settings: StorySettings = StorySettings()) -> RebuildReport:
    """Group every stored item again, oldest first, as if stored in that order; editors' splits stay."""
    session.execute(delete(StoryKey))
    session.execute(delete(StoryMember).where(StoryMember.split_by_editor.is_(False)))
    session.execute(update(StoryMember).values(story_id=None, head_id=None, joined_by=None))
    session.execute(delete(Story))
    ids = session.scalars(select(Document.id).where(Document.linked_to.is_(None))
                          .order_by(Document.published.asc().nulls_last(), Document.id)).all()
    report = RebuildReport(documents=len(ids))
    for start in range(0, len(ids), REBUILD_CHUNK):
        report.grouped += group_stored(session, ids[start:start + REBUILD_CHUNK], settings, hand_on=False)
    report.stories = len(session.scalars(select(Story.id)).all())
    report.grouped += report.stories  # each story's first item joined nobody
    report.kept_apart = len(session.scalars(select(StoryMember.document_id)
                                            .where(StoryMember.split_by_editor.is_(True))).all())
    mark = session.get(ServiceState, GROUPED_WATERMARK) or ServiceState(key=GROUPED_WATERMARK)
    mark.value = str(session.scalar(select(func.max(DocumentVersion.id))) or 0)
    session.add(mark)
    return report


def with_story_mates(session: Session, ids: Sequence[int]) -> list[int]:
    """These items and, after each, the other members of its story: what a decision applies to."""
    stories = dict(session.execute(select(StoryMember.document_id, StoryMember.story_id).where(
        StoryMember.document_id.in_(list(ids)), StoryMember.story_id.is_not(None))).all())
    if not stories:
        return list(ids)
    mates: dict[int, list[int]] = {}
    for story_id, doc_id in session.execute(select(StoryMember.story_id, StoryMember.document_id)
                                            .where(StoryMember.story_id.in_(set(stories.values())))
                                            .order_by(StoryMember.document_id)):
        mates.setdefault(story_id, []).append(doc_id)
    out: list[int] = []
    for doc_id in ids:
        out.append(doc_id)
        out += mates.get(stories.get(doc_id), [])
    return list(dict.fromkeys(out))
