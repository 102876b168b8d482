"""What the model is told about an item: its public text and the facts the bulletin states (title,
authority, type, dates, identifiers, URL). Nothing else leaves the machine: no notes, no decisions,
no names of the group's members."""

from __future__ import annotations

from typing import Any

from crawler.storage.models import Document

# The dates a source may give beside `published` (CandidateItem.dates), in the bulletin's words.
DATE_LABELS = {"signed": "签署日期", "effective": "生效日期", "comment_deadline": "意见征集截止日期",
               "filed": "提交日期", "introduced": "提出日期", "last_action": "最近进展日期",
               "scheduled_publication": "预定公布日期", "updated": "更新日期"}


def _identifiers(identifiers: dict[str, Any]) -> str:
    return "；".join(f"{scheme}: {value}" for scheme, value in sorted(identifiers.items()) if value)


def item_material(document: Document, identifiers: dict[str, Any], max_chars: int, max_title_chars: int,
                  max_input_chars: int) -> str:
    """The user message for one item."""
    lines = [f"请为下面这份文件撰写月报的中文标题（不超过 {max_title_chars} 个字符）和摘要"
             f"（不超过 {max_chars} 个字符），只输出 JSON 对象。", "",
             f"标题：{document.title}"]
    facts = [("发布机构", document.authority), ("法域", document.jurisdiction), ("文件类型", document.doc_type),
             ("发布日期", document.published.isoformat() if document.published else None)]
    facts += [(DATE_LABELS.get(kind, kind), value) for kind, value in sorted((document.dates or {}).items())]
    facts += [("编号", _identifiers(identifiers)), ("链接", document.url), ("原文语言", document.language)]
    lines += [f"{label}：{value}" for label, value in facts if value]
    if document.summary and document.summary.strip() != (document.text or "").strip()[:len(document.summary)]:
        lines += ["", "来源提供的摘要：", document.summary.strip()]
    text = (document.text or "").strip()
    if text:
        shown = text[:max_input_chars]
        note = "" if len(shown) == len(text) else f"（全文 {len(text)} 字符，以下为前 {len(shown)} 字符）"
        lines += ["", f"正文{note}：", shown]
    return "\n".join(lines)
