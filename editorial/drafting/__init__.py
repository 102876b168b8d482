"""Bulletin drafts: a Chinese title line and 摘要 for each accepted item, proposed by a model at an
OpenAI-compatible endpoint (drafting.endpoint) or, without one, taken from the document's own lead
sentences. Drafts are stored beside the item (storage.drafts) for an editor to review; they never
replace what an editor saved.

    with Drafter(config) as drafter:
        outcomes = draft_items(session, drafter, [12, 15], actor="li")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import Config, DraftingConfig
from crawler.errors import DraftFailed
from crawler.storage.models import Document, DocumentIdentifier
from editorial.drafting.client import ChatClient
from editorial.drafting.extractive import extractive_draft
from editorial.drafting.material import item_material
from editorial.drafting.prompt import load_prompt
from editorial.drafts import Draft, DraftText, primary_id, save_draft

__all__ = ["DraftFailed", "Drafted", "Drafter", "draft_items"]


@dataclass
class Drafted:
    """One item's outcome: its stored draft, or why there is none (nothing stored changed)."""

    item: int
    draft: Draft | None = None
    error: DraftFailed | None = None


class Drafter:
    """Drafts with the model when drafting.endpoint is set, extractively otherwise."""

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep):
        self.settings = config.drafting or DraftingConfig()
        self.prompt = load_prompt(self.settings, config.base_dir) if self.settings.endpoint else None
        self.client = ChatClient(self.settings, sleep) if self.settings.endpoint else None

    def close(self) -> None:
        """Close the endpoint's connections."""
        if self.client is not None:
            self.client.close()

    def __enter__(self) -> Drafter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def endpoint(self) -> str | None:
        """The endpoint as messages show it (no credentials), None when drafting extractively."""
        return self.client.shown if self.client else None

    def draft(self, session: Session, item_id: int, actor: str) -> Draft:
        """Draft one item (its first sighting when it is a linked one) and store it; the caller commits.
        Raises DraftFailed, with nothing stored, when no draft could be made."""
        primary = primary_id(session, item_id)
        if primary is None:
            raise DraftFailed("no such item", item=item_id, endpoint=self.endpoint)
        document = session.get(Document, primary)
        if self.client is not None and self.prompt is not None:
            material = item_material(document, self._identifiers(session, document), self.settings.max_chars,
                                     self.settings.max_title_chars, self.settings.max_input_chars)
            reply = self.client.draft(primary, self.prompt.text, material)
            text = DraftText(reply.title, reply.summary, "model", self.settings.model, self.prompt.version)
        else:
            title, summary = extractive_draft(document.title, document.summary, document.text, document.language,
                                              self.settings.max_chars, self.settings.max_title_chars)
            if not summary:
                raise DraftFailed("the item has neither text nor summary to take lead sentences from",
                                  item=primary, endpoint=None)
            text = DraftText(title, summary, "extractive")
        return save_draft(session, document, text, actor)

    @staticmethod
    def _identifiers(session: Session, document: Document) -> dict:
        unique = dict(session.execute(select(DocumentIdentifier.scheme, DocumentIdentifier.value)
                                      .where(DocumentIdentifier.document_id == document.id)).all())
        return {**(document.identifiers or {}), **unique}


def draft_items(session: Session, drafter: Drafter, item_ids: Iterable[int], actor: str) -> list[Drafted]:
    """Draft each item in its own transaction: one failure rolls back only its own item and the
    others are still drafted."""
    outcomes = []
    for item_id in dict.fromkeys(item_ids):
        try:
            draft = drafter.draft(session, item_id, actor)
            session.commit()
            session.refresh(draft)
            session.expunge(draft)  # a later item's rollback must not expire what this one stored
            outcomes.append(Drafted(draft.document_id, draft=draft))
        except DraftFailed as error:
            session.rollback()
            outcomes.append(Drafted(error.item, error=error))
    return outcomes
