"""Does an item match an alert rule, and why: a pure function of the rule and the document."""

from __future__ import annotations

from typing import Any, Protocol

from crawler.config import AlertMatch


class MatchableItem(Protocol):
    source_id: str
    jurisdiction: str | None
    category: str | None
    doc_type: str
    title: str
    summary: str
    text: str
    relevance_score: float
    relevance_terms: list[str]


def _jurisdiction_matches(wanted: list[str], jurisdiction: str | None) -> bool:
    if not jurisdiction:
        return False
    return any(jurisdiction == w or jurisdiction.startswith(w + "-") for w in wanted)


def match_item(match: AlertMatch, item: MatchableItem) -> dict[str, Any] | None:
    """None when a filter refuses the item; else {"terms", "reasons"}, the reasons as
    [criterion, value...] pairs that messages render in the rule's language."""
    reasons: list[list[Any]] = []
    if match.sources:
        if item.source_id not in match.sources:
            return None
        reasons.append(["source", item.source_id])
    if match.jurisdictions:
        if not _jurisdiction_matches(match.jurisdictions, item.jurisdiction):
            return None
        reasons.append(["jurisdiction", item.jurisdiction])
    if match.categories:
        if item.category not in match.categories:
            return None
        reasons.append(["category", item.category])
    if match.doc_types:
        if item.doc_type not in match.doc_types:
            return None
        reasons.append(["doc_type", item.doc_type])
    found: list[str] = []
    if match.keywords:
        haystack = " ".join((item.title or "", item.summary or "", item.text or "")).casefold()
        found = [k for k in match.keywords if k.casefold() in haystack]
        if not found:
            return None
        reasons.append(["keywords", found])
    if match.min_relevance:
        if item.relevance_score < match.min_relevance:
            return None
        reasons.append(["relevance", round(item.relevance_score, 2), match.min_relevance])
    if not reasons:
        reasons.append(["all"])
    terms = list(dict.fromkeys([*found, *(item.relevance_terms or [])]))
    return {"terms": terms, "reasons": reasons}
