"""AI-topic relevance: which terms of the editors' term file a text contains, and a 0..1 score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from crawler.items import Relevance

TERMS_FILE = Path(__file__).parent / "data" / "topic_terms.yaml"
_LATIN = re.compile(r"^[\x00-\x7f\u00c0-\u024f]+$")


@dataclass(frozen=True)
class Term:
    term: str
    weight: float
    pattern: re.Pattern[str]


def _compile(term: str, match: str | None) -> re.Pattern[str]:
    match = match or ("word" if _LATIN.match(term) else "substring")
    escaped = re.escape(term)
    if match == "substring":
        return re.compile(escaped, re.I)
    # Word edges that also work for terms ending in punctuation, such as "A.I."
    bounded = rf"(?<![\w.]){escaped}(?![\w])"
    return re.compile(bounded, 0 if match == "exact_word" else re.I)


@lru_cache(maxsize=8)
def load_terms(path: Path = TERMS_FILE) -> tuple[Term, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        Term(entry["term"], float(entry.get("weight", 1.0)), _compile(entry["term"], entry.get("match")))
        for entry in raw["terms"]
    )


def score(title: str, body: str, extra_terms: tuple[str, ...] = (), terms_file: Path = TERMS_FILE) -> Relevance:
    """Matched terms in order of the term file; a title match counts twice.

    The score is 1 - 0.5^(sum of weights): one clear term gives 0.5, two give 0.75.
    """
    total, matched = 0.0, []
    terms = load_terms(terms_file) + tuple(Term(t, 1.0, _compile(t, None)) for t in extra_terms)
    for term in terms:
        in_title = bool(term.pattern.search(title))
        if in_title or term.pattern.search(body):
            matched.append(term.term)
            total += term.weight * (2 if in_title else 1)
    return Relevance(score=round(1 - 0.5**total, 3), terms=matched)
