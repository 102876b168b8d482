"""The candidate item: one normalized record per document, whatever the source."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

DocType = Literal[
    "law", "bill", "executive_order", "presidential_memorandum", "proclamation", "rule",
    "proposed_rule", "notice", "standard", "draft_standard", "guidance", "report", "judgment",
    "court_filing", "press_release", "news", "other",
]
DOC_TYPES: tuple[str, ...] = DocType.__args__  # type: ignore[attr-defined]
# How an item was read: by the source's own parser, or by the generic reader when its selectors
# missed (or it has none for that kind of page).
Extraction = Literal["source", "generic"]

# The keys `regwatch parse` and `regwatch queue --json` print, in this order.
ITEM_KEYS: tuple[str, ...] = (
    "source", "url", "title", "published", "authority", "jurisdiction", "category", "doc_type",
    "identifiers", "summary", "language", "content_hash", "fetched_at", "relevance", "extraction",
)
# `--full` adds these: dates kept apart from `published`, and the extracted text.
EXTRA_KEYS: tuple[str, ...] = ("dates", "text")

# Identifiers that name exactly one document, so the database can refuse a second copy.
# (A docket id or a court is shared by many documents and is not among them.)
UNIQUE_IDENTIFIERS: frozenset[str] = frozenset({
    "fr_document_number", "executive_order_number", "proclamation_number", "celex",
    "legiscan_bill_id", "congress_bill_id", "courtlistener_entry_id", "courtlistener_opinion_id",
    "gov_uk_content_id", "garante_docweb", "vatican_act_number",
})


class ModelRelevance(BaseModel):
    """What the trained relevance model said: its calibrated probability, which model said it, and
    the features that pushed the item up most, as (readable feature, coefficient x tf-idf value)."""

    score: float
    version: str
    features: list[tuple[str, float]] = Field(default_factory=list)


class RelevanceParts(BaseModel):
    """How much of `score` each part contributed (they add up to it; see crawler.relevance.combine)."""

    prior: float = 0.0
    terms: float = 0.0
    model: float = 0.0


class Relevance(BaseModel):
    score: float = 0.0
    terms: list[str] = Field(default_factory=list)
    prior: float = 0.0  # the source's configured prior
    terms_score: float = 0.0  # the term list's own score, 1 - 0.5^(sum of matched weights)
    model: ModelRelevance | None = None
    parts: RelevanceParts = Field(default_factory=RelevanceParts)


class CandidateItem(BaseModel):
    source: str
    url: str
    title: str = ""
    published: date | None = None
    authority: str | None = None
    jurisdiction: str | None = None
    category: str | None = None
    doc_type: DocType = "other"
    identifiers: dict[str, str] = Field(default_factory=dict)
    summary: str = ""
    language: str | None = None
    content_hash: str = ""
    fetched_at: datetime
    relevance: Relevance = Field(default_factory=Relevance)
    extraction: Extraction = "source"
    # Kept apart from `published`: signed, effective, comment_deadline, filed, ...
    dates: dict[str, date] = Field(default_factory=dict)
    text: str = ""

    def public_dict(self, full: bool = False) -> dict[str, Any]:
        """The JSON-ready mapping of ITEM_KEYS (and EXTRA_KEYS when full)."""
        data = self.model_dump(mode="json")
        keys = ITEM_KEYS + (EXTRA_KEYS if full else ())
        return {key: data[key] for key in keys}
