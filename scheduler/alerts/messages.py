"""Alert text in the rule's language: what was found, where, and why the rule matched."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

LABELS = {
    "en": {"new": "New", "update": "Updated", "title": "Title", "authority": "Authority", "date": "Date",
           "link": "Link", "terms": "Matched terms", "why": "Why", "source": "Source",
           "digest": "{n} new item(s) for rule {rule}", "rule": "rule", "none": "—",
           "health": "Source {source} is {state}", "missed": "Scheduled crawl of {source} was missed"},
    "zh": {"new": "新发现", "update": "更新", "title": "标题", "authority": "发布机关", "date": "日期",
           "link": "链接", "terms": "匹配词", "why": "匹配原因", "source": "来源",
           "digest": "规则 {rule} 的每日汇总：{n} 条", "rule": "规则", "none": "无",
           "health": "来源 {source} 状态：{state}", "missed": "来源 {source} 的定时抓取被错过"},
}
REASONS = {
    "en": {"source": "source is {0}", "jurisdiction": "jurisdiction {0}", "category": "category {0}",
           "doc_type": "document type {0}", "keywords": "keywords found: {0}",
           "relevance": "relevance {0} ≥ {1}", "all": "the rule matches every item"},
    "zh": {"source": "来源为 {0}", "jurisdiction": "法域 {0}", "category": "类别 {0}", "doc_type": "文件类型 {0}",
           "keywords": "命中关键词：{0}", "relevance": "相关度 {0} ≥ {1}", "all": "该规则匹配所有条目"},
}
STATES = {"zh": {"broken": "故障", "quiet": "长时间无更新", "degraded": "选择器失效（通用解析）", "ok": "已恢复",
                 "missed": "错过抓取"}}


@dataclass
class AlertItem:
    """One alerted item as the message shows it (built from a stored document)."""

    title: str
    authority: str | None
    published: date | None
    url: str
    source_id: str
    kind: str = "new"  # new | update
    terms: list[str] = field(default_factory=list)
    reasons: list[list[Any]] = field(default_factory=list)


def _reason(language: str, reason: list[Any]) -> str:
    values = [", ".join(v) if isinstance(v, list) else v for v in reason[1:]]
    return REASONS[language][reason[0]].format(*values)


def item_lines(item: AlertItem, rule_id: str, language: str) -> list[str]:
    text = LABELS[language]
    sep = "：" if language == "zh" else ": "
    why = ("；" if language == "zh" else "; ").join(_reason(language, r) for r in item.reasons)
    return [
        f"[{text[item.kind]}] {item.title}",
        f"{text['authority']}{sep}{item.authority or text['none']}",
        f"{text['date']}{sep}{item.published.isoformat() if item.published else text['none']}",
        f"{text['link']}{sep}{item.url}",
        f"{text['terms']}{sep}{', '.join(item.terms) or text['none']}",
        f"{text['why']}{sep}{text['rule']} {rule_id}: {why}",
    ]


def render_items(items: list[AlertItem], rule_id: str, language: str, digest: bool) -> tuple[str, str]:
    """(title, body): one item, or a digest of several."""
    if not digest and len(items) == 1:
        item = items[0]
        title = f"Regwatch {LABELS[language][item.kind]}: {item.title}"
        return title, "\n".join(item_lines(item, rule_id, language))
    title = "Regwatch: " + LABELS[language]["digest"].format(n=len(items), rule=rule_id)
    blocks = ["\n".join(item_lines(item, rule_id, language)) for item in items]
    return title, "\n\n".join(blocks)


def render_health(events: list[dict[str, Any]], language: str) -> tuple[str, str]:
    """Operator messages: a source broke, went quiet, recovered, or missed a scheduled run."""
    text = LABELS[language]
    lines, titles = [], []
    for event in events:
        state = STATES.get(language, {}).get(event["state"], event["state"])
        key = "missed" if event["state"] == "missed" else "health"
        titles.append(text[key].format(source=event["source_id"], state=state))
        lines.append(f"{titles[-1]}\n{event.get('reason', '')}".strip())
    title = "Regwatch: " + (titles[0] if len(titles) == 1 else f"{len(titles)} source health changes")
    return title, "\n\n".join(lines)
