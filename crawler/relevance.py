"""AI-topic relevance: which terms of the editors' term file a text contains, and a 0..1 score that
combines them with the source's prior and the trained model (see `combine` and docs/relevance.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from crawler.items import CandidateItem, ModelRelevance, Relevance, RelevanceParts
from crawler.relevance_model.features import ModelInput

if TYPE_CHECKING:
    from crawler.relevance_model.model import RelevanceModel

TERMS_FILE = Path(__file__).parent / "data" / "topic_terms.yaml"
_LATIN = re.compile(r"^[\x00-\x7f\u00c0-\u024f]+$")
_WORD_CHARS = r"0-9A-Za-z_\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"  # Latin, Greek, Cyrillic


@dataclass(frozen=True)
class Term:
    term: str
    weight: float
    match: str  # word | exact_word | substring


@dataclass(frozen=True)
class TermSet:
    """All terms compiled into one scan per text: a regex for whole words (any case), one for
    exact-case words, and plain substring tests for scripts without spaces."""

    terms: tuple[Term, ...]
    words: re.Pattern[str] | None
    exact_words: re.Pattern[str] | None
    word_names: dict[str, str]  # lower-cased match -> term as written
    substrings: tuple[tuple[str, str], ...]  # (term as written, lower-cased)
    weights: dict[str, float]  # term as written -> weight of its first entry, in term-file order

    @classmethod
    def build(cls, terms: tuple[Term, ...]) -> TermSet:
        weights: dict[str, float] = {}
        for term in terms:
            weights.setdefault(term.term, term.weight)
        return cls(terms, _alternation([t.term.lower() for t in terms if t.match == "word"]),
                   _alternation([t.term for t in terms if t.match == "exact_word"]),
                   {t.term.lower(): t.term for t in terms if t.match == "word"},
                   tuple((t.term, t.term.lower()) for t in terms if t.match == "substring"),
                   weights)

    def found_in(self, text: str) -> set[str]:
        """The terms (as written in the term file) that occur in text."""
        found: set[str] = set()
        lowered = text.lower()
        if self.words is not None:  # lower-cased terms in the lower-cased text: twice as fast as re.I
            found.update(self.word_names[m.group(0)] for m in self.words.finditer(lowered))
        if self.exact_words is not None:
            found.update(m.group(0) for m in self.exact_words.finditer(text))
        found.update(term for term, needle in self.substrings if needle in lowered)
        return found


def _alternation(chosen: list[str]) -> re.Pattern[str] | None:
    """One pattern for all the terms, longest first. Alternatives are grouped by their first
    character, so at each position of a text the engine tries one group, not every term."""
    if not chosen:
        return None
    by_first: dict[str, list[str]] = {}
    for term in sorted(set(chosen), key=len, reverse=True):
        by_first.setdefault(term[0], []).append(re.escape(term[1:]))
    terms = "|".join(f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in by_first.items())
    # Word edges that also work for terms ending in punctuation, such as "A.I."; letters of
    # scripts without spaces are edges too, so "AI" counts in AI生成内容.
    return re.compile(rf"(?<![{_WORD_CHARS}.])(?:{terms})(?![{_WORD_CHARS}])")


def _term(entry: dict) -> Term:
    term = str(entry["term"])
    kind = entry.get("match") or ("word" if _LATIN.match(term) else "substring")
    return Term(term, float(entry.get("weight", 1.0)), kind)


@lru_cache(maxsize=8)
def load_terms(path: Path = TERMS_FILE, extra: tuple[str, ...] = ()) -> TermSet:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return TermSet.build(tuple(_term(entry) for entry in raw["terms"]) + tuple(_term({"term": t}) for t in extra))


def score(title: str, body: str, extra_terms: tuple[str, ...] = (), terms_file: Path = TERMS_FILE) -> Relevance:
    """Matched terms in order of the term file; a title match counts twice.

    The score is 1 - 0.5^(sum of weights): one clear term gives 0.5, two give 0.75.
    """
    term_set = load_terms(terms_file, extra_terms)
    in_title, in_body = term_set.found_in(title), term_set.found_in(body)
    found = in_title | in_body
    matched = [term for term in term_set.weights if term in found]
    total = sum(term_set.weights[term] * (2 if term in in_title else 1) for term in matched)
    terms_score = round(1 - 0.5**total, 3)
    return Relevance(score=terms_score, terms=matched, terms_score=terms_score,
                     parts=RelevanceParts(terms=terms_score))


def combine(terms: Relevance, prior: float = 0.0, model: ModelRelevance | None = None) -> Relevance:
    """score = 1 - (1 - prior) x (1 - terms) x (1 - model): each part is evidence the others may
    lack (a newsroom that only writes about AI, an editor's term, what decisions taught the model),
    so any one that is sure makes the item relevant, and none can lower another. An item that
    matched a clear term (0.5) stays at 0.5 or above, as before the model; an item with no term,
    no prior and a doubtful model stays low. The parts are the increments in that order, so they
    add up to the score: prior, then terms x (1 - prior), then model x what was left."""
    model_score = model.score if model is not None else 0.0
    prior_part = prior
    terms_part = terms.terms_score * (1 - prior)
    model_part = model_score * (1 - prior) * (1 - terms.terms_score)
    parts = RelevanceParts(prior=round(prior_part, 3), terms=round(terms_part, 3), model=round(model_part, 3))
    return terms.model_copy(update={"score": round(prior_part + terms_part + model_part, 3), "prior": prior,
                                    "model": model, "parts": parts})


def model_input(item: CandidateItem) -> ModelInput:
    return ModelInput(item.title, item.summary, item.source, item.category, item.doc_type)


def assess(item: CandidateItem, prior: float, extra_terms: tuple[str, ...] = (),
           model: RelevanceModel | None = None) -> Relevance:
    """The item's relevance from its title, summary and text (terms), its source's prior and the model."""
    found = score(item.title, f"{item.summary}\n{item.text}", extra_terms)
    return combine(found, prior, model.score(model_input(item)) if model is not None else None)


def add_model_scores(items: list[CandidateItem], prior: float, model: RelevanceModel | None) -> None:
    """Combine the model's scores into the relevance of items assessed without it: one array pass
    for a response's items, the same numbers as `assess` with the model item by item."""
    if model is None or not items:
        return
    for item, judged in zip(items, model.score_many([model_input(i) for i in items]), strict=True):
        item.relevance = combine(item.relevance, prior, judged)
