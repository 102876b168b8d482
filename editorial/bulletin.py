"""The month's bulletin draft in the bulletin's own form, as Markdown and as a Word document.

Per section: a 导读 (numbered list of the titles), then each item with its title, 发布日期, 来源
(the authority), 链接 and 摘要. Title and 摘要 are the editor's when an editor saved either (an
empty field there: the source's own), else the item's draft (storage.drafts), marked 〔草稿〕 until
reviewed unless bulletin.mark_unreviewed_drafts is off, else the source's own title and summary.
Items follow each other by date within a section. A story (one event seen through several
sources, storage.stories) is one entry, its head's, when the head is accepted into the month.
Everything here came from crawled sources, so it is written as text: Markdown punctuation is
escaped, and only http(s) addresses become links.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import BulletinConfig, BulletinSection
from crawler.storage.models import Document, TriageState
from crawler.storage.story_models import StoryMember
from editorial.drafts import Draft
from editorial.triage import check_month

DEFAULT_TITLE = "人工智能法律监管月报"
CHINESE_NUMERALS = "一二三四五六七八九十"
NO_DATE = "未注明"
EMPTY_SECTION = "本月暂无条目。"
DRAFT_MARK = "〔草稿〕"  # before the title of an entry whose text is a draft no editor has saved
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&#])")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


@dataclass
class Entry:
    document_id: int
    title: str  # the editorial title when set
    original_title: str
    published: date | None
    authority: str | None
    url: str
    summary: str  # the editorial 摘要 when set; paragraphs one to a line
    section: str
    source_id: str
    from_draft: bool = False  # title and 摘要 come from a draft no editor has saved


def bulletin_entries(session: Session, month: str, sections: Sequence[BulletinSection]) -> dict[str, list[Entry]]:
    """The items accepted into `month`, per section (configured sections first, in their order;
    a section no longer configured keeps its items under its own id), by date within each."""
    month = check_month(month)
    rows = session.execute(
        select(Document.id, Document.title, Document.published, Document.authority, Document.url,
               Document.summary, Document.source_id, TriageState.section, TriageState.editorial_title,
               TriageState.editorial_summary, Draft.title.label("draft_title"), Draft.summary.label("draft_summary"))
        .join(TriageState, TriageState.document_id == Document.id)
        .outerjoin(Draft, Draft.document_id == Document.id)
        .where(TriageState.status == "accepted", TriageState.bulletin_month == month,
               Document.id.not_in(_members_under_accepted_heads(month)))
        .order_by(Document.published.asc().nulls_last(), Document.id)
    ).all()
    entries: dict[str, list[Entry]] = {section.id: [] for section in sections}
    for r in rows:
        if r.editorial_title or r.editorial_summary:  # the editor's text: reviewed, drafts aside
            title, summary, from_draft = r.editorial_title or r.title, r.editorial_summary, False
        elif r.draft_title is not None:
            title, summary, from_draft = r.draft_title, r.draft_summary, True
        else:
            title, summary, from_draft = r.title, None, False
        entries.setdefault(r.section or "", []).append(Entry(
            r.id, _one_line(title), _one_line(r.title), r.published, r.authority, r.url,
            _paragraphs(summary) if summary else _one_line(r.summary), r.section or "", r.source_id, from_draft))
    return entries


def _members_under_accepted_heads(month: str):
    """Story members whose head is in this month's bulletin: the head's entry reports the event."""
    heads = select(TriageState.document_id).where(TriageState.status == "accepted", TriageState.bulletin_month == month)
    return select(StoryMember.document_id).where(StoryMember.head_id != StoryMember.document_id,
                                                 StoryMember.head_id.in_(heads))


def draft_mark(settings: BulletinConfig) -> str | None:
    """The mark of unreviewed drafts, or None when bulletin.mark_unreviewed_drafts is off."""
    return DRAFT_MARK if settings.mark_unreviewed_drafts else None


def shown_title(entry: Entry, mark: str | None = DRAFT_MARK) -> str:
    return f"{mark}{entry.title}" if mark and entry.from_draft else entry.title


def chinese_date(day: date | None) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日" if day else NO_DATE


def bulletin_heading(month: str, title: str = DEFAULT_TITLE) -> str:
    year, number = check_month(month).split("-")
    return f"{title} {int(year)} 年 {int(number)} 月"


def _one_line(value: str | None) -> str:
    return _SPACE.sub(" ", _NOT_XML.sub("", value or "")).strip()


def _paragraphs(value: str) -> str:
    """Text an editor or a model wrote in paragraphs: one paragraph a line, each on one line."""
    return "\n".join(filter(None, (_one_line(line) for line in value.splitlines())))


def _section_heading(index: int, title: str) -> str:
    numeral = CHINESE_NUMERALS[index] if index < len(CHINESE_NUMERALS) else str(index + 1)
    return f"{numeral}、{title}"


def _titled_sections(entries: dict[str, list[Entry]], sections: Sequence[BulletinSection]) -> list[tuple[str, list]]:
    titles = {section.id: section.title_zh for section in sections}
    ordered = [section.id for section in sections] + [sid for sid in entries if sid not in titles]
    return [(titles.get(sid, sid or "未分类"), entries.get(sid, [])) for sid in ordered]


def _is_web_link(url: str) -> bool:
    return bool(re.match(r"^https?://[^\s<>\"]+$", url, re.IGNORECASE))


def md_text(value: str) -> str:
    """Crawled text shown as text in any Markdown renderer (no HTML, links or emphasis)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


def render_markdown(entries: dict[str, list[Entry]], month: str, sections: Sequence[BulletinSection],
                    title: str = DEFAULT_TITLE, mark: str | None = DRAFT_MARK) -> str:
    lines = [f"# {md_text(bulletin_heading(month, title))}", ""]
    for index, (section_title, items) in enumerate(_titled_sections(entries, sections)):
        lines += [f"## {md_text(_section_heading(index, section_title))}", ""]
        if not items:
            lines += [EMPTY_SECTION, ""]
            continue
        lines += ["### 导读", ""]
        lines += [f"{n}. {md_text(shown_title(e, mark))}" for n, e in enumerate(items, 1)] + [""]
        for n, e in enumerate(items, 1):
            link = f"<{e.url}>" if _is_web_link(e.url) else md_text(e.url)
            summary = "\n\n".join(md_text(paragraph) for paragraph in e.summary.split("\n"))
            lines += [f"### {n}. {md_text(shown_title(e, mark))}", "",
                      f"- 发布日期：{chinese_date(e.published)}", f"- 来源：{md_text(e.authority or '')}",
                      f"- 链接：{link}", "", f"摘要：{summary}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_docx(entries: dict[str, list[Entry]], month: str, sections: Sequence[BulletinSection],
                title: str = DEFAULT_TITLE, mark: str | None = DRAFT_MARK) -> bytes:
    from editorial.bulletin_docx import BulletinDocument  # python-docx loads only for this

    doc = BulletinDocument()
    doc.title(bulletin_heading(month, title))
    for index, (section_title, items) in enumerate(_titled_sections(entries, sections)):
        doc.heading(_section_heading(index, section_title), level=1)
        if not items:
            doc.paragraph(EMPTY_SECTION)
            continue
        doc.heading("导读", level=2)
        for n, e in enumerate(items, 1):
            doc.paragraph(f"{n}. {shown_title(e, mark)}")
        for n, e in enumerate(items, 1):
            doc.heading(f"{n}. {shown_title(e, mark)}", level=2)
            doc.field("发布日期", chinese_date(e.published))
            doc.field("来源", e.authority or "")
            doc.field("链接", e.url, link=e.url if _is_web_link(e.url) else None)
            first, *more = e.summary.split("\n")
            doc.field("摘要", first)
            for paragraph in more:
                doc.paragraph(paragraph)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
