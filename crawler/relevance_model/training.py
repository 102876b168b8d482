"""Fitting the relevance model with scikit-learn, and cross-validating it.

TF-IDF over the item's words and Chinese character n-grams, plus one-hot source, category and
document type; a logistic regression with balanced class weights (decisions are mostly one kind);
calibrated by Platt scaling on cross-validated decision values, so 0.5 means even odds whatever
the balance of the training set. Everything is seeded: the same examples give the same model.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from crawler.relevance_model.features import Example, meta_tokens, text_tokens
from crawler.relevance_model.model import RelevanceModel

RANDOM_STATE = 20250101
MAX_TEXT_FEATURES = 30_000
MIN_DOCUMENT_FREQUENCY = 2
REGULARIZATION_C = 10.0
FOLDS = 5
# Source, category and document type count this much each: enough to learn a source's habits, small
# enough that its regularized weight does not outvote what the item says.
META_VALUE = 0.1


class TooFewExamples(ValueError):
    """Not enough examples of each kind to train or cross-validate."""


def _tokenized(tokens: list[str]) -> list[str]:
    """The analyzer of rows tokenized once beforehand (by features.text_tokens / meta_tokens)."""
    return tokens


def _pipeline() -> Pipeline:
    text = TfidfVectorizer(analyzer=_tokenized, sublinear_tf=True, min_df=MIN_DOCUMENT_FREQUENCY,
                           max_features=MAX_TEXT_FEATURES)
    meta = TfidfVectorizer(analyzer=_tokenized, use_idf=False, norm=None, binary=True)
    columns = ColumnTransformer([("text", text, 0), ("meta", meta, 1)], transformer_weights={"meta": META_VALUE})
    # The dual problem: far more features than examples, where it converges in a fraction of the time.
    classifier = LogisticRegression(C=REGULARIZATION_C, class_weight="balanced", max_iter=5000, solver="liblinear",
                                    dual=True, random_state=RANDOM_STATE)
    return Pipeline([("features", columns), ("classifier", classifier)])


def _matrix(examples: list[Example]) -> np.ndarray:
    rows = np.empty((len(examples), 2), dtype=object)
    for i, example in enumerate(examples):
        rows[i, 0], rows[i, 1] = text_tokens(example.item.text), meta_tokens(example.item.meta)
    return rows


def _labels(examples: list[Example]) -> np.ndarray:
    return np.array([e.label for e in examples], dtype=int)


def _folds(labels: np.ndarray, wanted: int) -> StratifiedKFold:
    counts = Counter(labels.tolist())
    smallest = min(counts.values()) if len(counts) == 2 else 0
    if smallest < 2:
        raise TooFewExamples(f"need at least 2 on-topic and 2 off-topic examples, have {counts[1]} and {counts[0]}")
    return StratifiedKFold(n_splits=min(wanted, smallest), shuffle=True, random_state=RANDOM_STATE)


def _platt(decisions: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(a, b) with probability = 1 / (1 + exp(a * decision + b)), fitted on held-out decisions."""
    fit = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000).fit(decisions.reshape(-1, 1), labels)
    return -float(fit.coef_[0, 0]), -float(fit.intercept_[0])


HeldOut = dict[int, tuple[int, float]]  # example index -> (fold, decision value)


def held_out_decisions(examples: list[Example], evaluated: list[bool], folds: int = FOLDS) -> HeldOut:
    """(fold, decision value) of each evaluated example, from a model trained on every other
    example: the other folds of the evaluated ones and all the examples not evaluated."""
    chosen = np.flatnonzero(np.array(evaluated, dtype=bool))
    others = np.flatnonzero(~np.array(evaluated, dtype=bool))
    rows, labels = _matrix(examples), _labels(examples)
    found: dict[int, tuple[int, float]] = {}
    for fold, (train_part, test_part) in enumerate(_folds(labels[chosen], folds).split(chosen, labels[chosen])):
        train = np.concatenate([others, chosen[train_part]])
        decisions = _pipeline().fit(rows[train], labels[train]).decision_function(rows[chosen[test_part]])
        for index, decision in zip(chosen[test_part], decisions, strict=True):
            found[int(index)] = (fold, float(decision))
    return found


def held_out_probabilities(examples: list[Example], decisions: HeldOut) -> dict[int, float]:
    """Held-out decisions made probabilities, each fold's by a Platt fit on the other folds'."""
    labels = _labels(examples)
    found: dict[int, float] = {}
    for fold in sorted({f for f, _ in decisions.values()}):
        calibration = [i for i, (f, _) in decisions.items() if f != fold]
        a, b = _platt(np.array([decisions[i][1] for i in calibration]), labels[calibration])
        for index, (f, decision) in decisions.items():
            if f == fold:
                found[index] = float(1.0 / (1.0 + np.exp(a * decision + b)))
    return found


def fit(examples: list[Example], meta: dict, decisions: HeldOut | None = None) -> RelevanceModel:
    """Train on every example, calibrated on held-out decision values (`decisions` when they were
    already computed for every example); `meta` (version, counts, metrics...) is stored with it."""
    rows, labels = _matrix(examples), _labels(examples)
    decisions = decisions or held_out_decisions(examples, [True] * len(examples))
    ordered = sorted(decisions)
    platt = _platt(np.array([decisions[i][1] for i in ordered]), labels[ordered])
    pipeline = _pipeline().fit(rows, labels)
    columns: ColumnTransformer = pipeline.named_steps["features"]
    classifier: LogisticRegression = pipeline.named_steps["classifier"]
    text, meta_vectorizer = columns.named_transformers_["text"], columns.named_transformers_["meta"]
    text_vocab = sorted(text.vocabulary_, key=text.vocabulary_.get)
    meta_vocab = sorted(meta_vectorizer.vocabulary_, key=meta_vectorizer.vocabulary_.get)
    return RelevanceModel(
        version=meta["version"], meta=meta, text_index={t: i for i, t in enumerate(text_vocab)},
        text_idf=[float(v) for v in text.idf_], meta_index={t: len(text_vocab) + i for i, t in enumerate(meta_vocab)},
        weights=[float(w) for w in classifier.coef_[0]], intercept=float(classifier.intercept_[0]), platt=platt,
        meta_value=META_VALUE)
