"""A trained relevance model as plain data, and scoring with it (no scikit-learn at scoring time).

The model file is gzipped JSON: the metadata, the text vocabulary with its idf, the source /
category / document-type vocabulary, the logistic regression's weights and the Platt calibration
(a, b) fitted on cross-validated decision values. Scoring repeats TfidfVectorizer's arithmetic
(sublinear tf, smooth idf, l2 norm) on the tokens of crawler.relevance_model.features; a test
checks it against scikit-learn's own transform. Plain data loads in any scikit-learn version (and
without it), and loading it cannot run code, unlike a pickle.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from crawler.items import ModelRelevance
from crawler.relevance_model.features import ModelInput, cjk_grams, meta_tokens, readable, word_grams, words_of

FORMAT = 1
TOP_FEATURES = 5
WORD_CACHE_SIZE = 200_000  # distinct words whose n-gram columns are kept (a few tens of MB at most)


class ModelFileError(ValueError):
    """A model file that cannot be read: missing, corrupt, or written by an unknown format."""


@dataclass(frozen=True)
class RelevanceModel:
    version: str
    meta: dict[str, Any]
    text_index: dict[str, int]  # token -> column
    text_idf: list[float]
    meta_index: dict[str, int]  # "source:deepseek-news" -> column after the text columns
    weights: list[float]  # text columns, then meta columns
    intercept: float
    platt: tuple[float, float]  # probability = 1 / (1 + exp(a * decision + b))
    meta_value: float  # the value of a present source / category / document-type feature
    text_names: list[str] = field(default_factory=list, repr=False)  # column -> token
    _word_columns: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.text_names:
            object.__setattr__(self, "text_names", sorted(self.text_index, key=self.text_index.get))
        object.__setattr__(self, "_idf", np.asarray(self.text_idf, dtype=np.float64))
        object.__setattr__(self, "_weights", np.asarray(self.weights[:len(self.text_idf)], dtype=np.float64))

    def _columns(self, text: str) -> list[int]:
        """The vocabulary columns of the text's tokens (features.text_tokens), once per occurrence.
        A word's columns (the word, its character n-grams) are cached: words recur from item to
        item, and building every n-gram of every word is most of the cost of scoring."""
        index, cache, lowered = self.text_index, self._word_columns, text.lower()
        words = words_of(lowered)
        found: list[int] = []
        for word in words:
            column = index.get("w:" + word)
            if column is not None:
                found.append(column)
        for pair in zip(words, words[1:], strict=False):
            column = index.get(f"w:{pair[0]} {pair[1]}")
            if column is not None:
                found.append(column)
        for word in set(words):
            columns = cache.get(word)
            if columns is None:
                if len(cache) > WORD_CACHE_SIZE:
                    cache.clear()
                columns = cache[word] = tuple(index[t] for t in word_grams(word) if t in index)
            found.extend(columns)
        found.extend(index[t] for t in cjk_grams(lowered) if t in index)
        return found

    def decisions(self, items: list[ModelInput]) -> tuple[np.ndarray, list[list[tuple[str, float]]]]:
        """Each item's linear decision value and its strongest contributions (weight x tf-idf
        value): TfidfVectorizer's sublinear tf x idf, l2-normalized per item, then the logistic
        regression's weights. One pass of array arithmetic for the whole batch (a response's items):
        per-item array calls would cost more than the arithmetic itself."""
        per_item = [self._columns(item.text) for item in items]
        width = len(self.text_idf)
        item_of = np.repeat(np.arange(len(items), dtype=np.int64), [len(found) for found in per_item])
        keys = item_of * width + np.array(list(chain.from_iterable(per_item)), dtype=np.int64)
        keys, counts = np.unique(keys, return_counts=True)  # sorted: by item, then by column
        rows, columns = keys // width, keys % width
        values = (1.0 + np.log(counts)) * self._idf[columns]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(items)))
        norms[norms == 0] = 1.0
        contributions = self._weights[columns] * values / norms[rows]
        totals = np.bincount(rows, weights=contributions, minlength=len(items)) + self.intercept
        # The positive contributions by item, strongest first (one float sort: a lexsort costs 6x).
        positive = np.flatnonzero(contributions > 0)
        order = positive[np.argsort(rows[positive] * 1e6 - contributions[positive], kind="stable")]
        starts = np.searchsorted(rows[order], np.arange(len(items)))
        ends = np.append(starts[1:], len(order))
        strongest: list[list[tuple[str, float]]] = []
        for row, item in enumerate(items):
            chosen = order[starts[row]:min(ends[row], starts[row] + TOP_FEATURES)]
            text = [(self.text_names[c], w) for c, w in zip(columns[chosen].tolist(), contributions[chosen].tolist(),
                                                               strict=True)]
            meta = [(t, self.weights[self.meta_index[t]] * self.meta_value)
                    for t in meta_tokens(item.meta) if t in self.meta_index]
            totals[row] += sum(w for _, w in meta)
            strongest.append(text + meta)
        return totals, strongest

    def probability(self, decision: float) -> float:
        a, b = self.platt
        exponent = max(-700.0, min(700.0, a * decision + b))
        return 1.0 / (1.0 + math.exp(exponent))

    def score_many(self, items: list[ModelInput]) -> list[ModelRelevance]:
        if not items:
            return []
        totals, contributions = self.decisions(items)
        return [ModelRelevance(score=round(self.probability(float(total)), 3), version=self.version,
                               features=[(readable(t), round(c, 3)) for t, c in
                                         sorted((c for c in found if c[1] > 0), key=lambda c: -c[1])[:TOP_FEATURES]])
                for total, found in zip(totals.tolist(), contributions, strict=True)]

    def score(self, item: ModelInput) -> ModelRelevance:
        return self.score_many([item])[0]


def to_data(model: RelevanceModel) -> dict[str, Any]:
    text_vocab = model.text_names
    meta_vocab = sorted(model.meta_index, key=model.meta_index.get)
    return {"format": FORMAT, "meta": model.meta, "text_vocabulary": text_vocab,
            "text_idf": [round(v, 5) for v in model.text_idf], "meta_vocabulary": meta_vocab,
            "weights": [round(w, 5) for w in model.weights], "intercept": round(model.intercept, 6),
            "platt": [round(model.platt[0], 6), round(model.platt[1], 6)], "meta_value": model.meta_value}


def from_data(data: dict[str, Any], where: str) -> RelevanceModel:
    if data.get("format") != FORMAT:
        raise ModelFileError(f"{where}: model format {data.get('format')!r}, this Regwatch reads format {FORMAT}")
    text_vocab, meta_vocab = data["text_vocabulary"], data["meta_vocabulary"]
    if len(data["weights"]) != len(text_vocab) + len(meta_vocab) or len(data["text_idf"]) != len(text_vocab):
        raise ModelFileError(f"{where}: vocabulary, idf and weights have different lengths")
    a, b = data["platt"]
    return RelevanceModel(
        version=data["meta"]["version"], meta=data["meta"], text_index={t: i for i, t in enumerate(text_vocab)},
        text_idf=[float(v) for v in data["text_idf"]],
        meta_index={t: len(text_vocab) + i for i, t in enumerate(meta_vocab)},
        weights=[float(w) for w in data["weights"]], intercept=float(data["intercept"]), platt=(float(a), float(b)),
        meta_value=float(data["meta_value"]), text_names=list(text_vocab))


def write_model(model: RelevanceModel, path: Path) -> None:
    """Gzipped JSON with a fixed gzip header time, so the same model gives the same bytes."""
    raw = json.dumps(to_data(model), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="") as packed:
        packed.write(raw)
    partial.replace(path)


def read_model(path: Path) -> RelevanceModel:
    try:
        with gzip.open(path, "rb") as packed:
            data = json.loads(packed.read().decode("utf-8"))
    except (OSError, EOFError, ValueError) as error:
        raise ModelFileError(f"{path}: not a readable model file ({error})") from error
    try:
        return from_data(data, str(path))
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(f"{path}: incomplete model file ({type(error).__name__}: {error})") from error
