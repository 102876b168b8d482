"""Training a new model from the starter set and the group's decisions, evaluating it, and
re-scoring the items still awaiting review. What `regwatch relevance` and the service call."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import Config
from crawler.items import ModelRelevance
from crawler.relevance import combine, score
from crawler.relevance_model import registry
from crawler.relevance_model.features import Example
from crawler.relevance_model.model import RelevanceModel
from crawler.relevance_model.starter import starter_examples
from crawler.storage.relevance_examples import decision_examples, decisions_since

log = logging.getLogger(__name__)

THRESHOLD = 0.5  # the alert threshold (min_relevance) the metrics are taken at
RESCORE_BATCH = 500


@dataclass
class Metrics:
    """Precision and recall at THRESHOLD of held-out scores, for the model alone and for the
    combined score (prior, terms and model) that alerts and the queue use."""

    examples: int
    on_topic: int
    model: dict[str, float | int | None]
    combined: dict[str, float | int | None]


@dataclass
class TrainReport:
    version: str
    path: str
    counts: dict[str, int]
    metrics: Metrics | None
    rescored: int = 0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _counts(examples: list[Example]) -> dict[str, int]:
    counts = {"examples": len(examples), "on_topic": sum(e.label for e in examples)}
    for origin in ("starter", "decision"):
        chosen = [e for e in examples if e.origin == origin]
        counts[f"{origin}_on_topic"] = sum(e.label for e in chosen)
        counts[f"{origin}_off_topic"] = len(chosen) - counts[f"{origin}_on_topic"]
    return counts


def _precision_recall(labels: list[int], scores: list[float]) -> dict[str, float | int | None]:
    true_pos = sum(1 for y, s in zip(labels, scores, strict=True) if y == 1 and s >= THRESHOLD)
    false_pos = sum(1 for y, s in zip(labels, scores, strict=True) if y == 0 and s >= THRESHOLD)
    false_neg = sum(1 for y, s in zip(labels, scores, strict=True) if y == 1 and s < THRESHOLD)
    flagged, positives = true_pos + false_pos, true_pos + false_neg
    return {"precision": round(true_pos / flagged, 3) if flagged else None,
            "recall": round(true_pos / positives, 3) if positives else None,
            "true_positives": true_pos, "false_positives": false_pos, "false_negatives": false_neg}


def combined_score(example: Example, model_score: float, config: Config) -> float:
    """The score an item like this would get in a crawl: its source's prior, the terms of its title
    and summary, and the model's probability."""
    prior = next((s.relevance.prior for s in config.sources if s.id == example.item.source_id), 0.0)
    found = score(example.item.title, example.item.summary)
    return combine(found, prior, ModelRelevance(score=model_score, version="held-out")).score


def cross_validated(examples: list[Example], evaluated: list[bool], config: Config,
                    held_out: dict[int, tuple[int, float]] | None = None) -> Metrics:
    """Metrics of the evaluated examples' held-out scores (`held_out`: decision values already computed)."""
    from crawler.relevance_model.training import held_out_decisions, held_out_probabilities

    probabilities = held_out_probabilities(examples, held_out or held_out_decisions(examples, evaluated))
    chosen = sorted(probabilities)
    labels = [examples[i].label for i in chosen]
    return Metrics(len(chosen), sum(labels), _precision_recall(labels, [probabilities[i] for i in chosen]),
                   _precision_recall(labels, [combined_score(examples[i], probabilities[i], config) for i in chosen]))


def all_examples(config: Config, session: Session | None) -> list[Example]:
    decided = decision_examples(session, config.relevance.off_topic_reasons) if session is not None else []
    return starter_examples() + decided


def train(config: Config, session: Session, now: datetime | None = None, with_metrics: bool = True,
          rescore: bool = True) -> TrainReport:
    """Fit on the starter set and every decision, keep the model under a new version in the models
    directory (it becomes the active one unless config pins another) and re-score open items."""
    from crawler.relevance_model.training import fit, held_out_decisions

    now = now or datetime.now(UTC)
    examples = all_examples(config, session)
    held_out = held_out_decisions(examples, [True] * len(examples))  # to calibrate the model and to measure it
    metrics = cross_validated(examples, [True] * len(examples), config, held_out) if with_metrics else None
    counts = _counts(examples)
    meta = {"version": "", "trained_at": now.isoformat(timespec="seconds"), "counts": counts,
            "cv_metrics": asdict(metrics) if metrics else None, **_environment()}
    model = fit(examples, meta, held_out)
    version = registry.trained_version(model, now)
    model.meta["version"] = version
    model = dataclasses.replace(model, version=version)
    saved = registry.save(model, config.models_dir)
    report = TrainReport(version, str(saved.path), counts, metrics)
    if config.relevance.model and config.relevance.model != version:
        report.notes.append(f"config.yaml pins relevance.model {config.relevance.model!r}: items are still "
                            "scored by that one")
    elif rescore:
        report.rescored = rescore_open_items(session, config, model)
    return report


def _environment() -> dict[str, str]:
    import sklearn

    from crawler.relevance_model import training

    return {"sklearn_version": sklearn.__version__, "random_state": str(training.RANDOM_STATE),
            "max_text_features": str(training.MAX_TEXT_FEATURES)}


def evaluate(config: Config, session: Session | None) -> dict[str, Metrics | str]:
    """Cross-validated precision and recall at THRESHOLD on the starter set and on the group's
    decisions, separately (each fold of one is scored by a model trained on everything else)."""
    from crawler.relevance_model.training import TooFewExamples

    examples = all_examples(config, session)
    results: dict[str, Metrics | str] = {}
    for origin in ("starter", "decision"):
        try:
            results[origin] = cross_validated(examples, [e.origin == origin for e in examples], config)
        except TooFewExamples as error:
            results[origin] = f"not evaluated: {error}"
    return results


def rescore_open_items(session: Session, config: Config, model: RelevanceModel) -> int:
    """New items (not yet decided) scored again with `model`, so the queue's order and the alert
    threshold follow what the group decided since; decided items keep the score they were judged by."""
    from crawler.relevance import assess
    from crawler.storage.documents import item_from_row, relevance_columns
    from crawler.storage.models import Document, TriageState

    priors = {s.id: s.relevance.prior for s in config.sources}
    keywords = {s.id: tuple(s.keywords) for s in config.sources}
    ids = list(session.scalars(select(Document.id).join(TriageState, TriageState.document_id == Document.id)
                               .where(TriageState.status == "new").order_by(Document.id)))
    for start in range(0, len(ids), RESCORE_BATCH):
        for document in session.scalars(select(Document).where(Document.id.in_(ids[start:start + RESCORE_BATCH]))):
            relevance = assess(item_from_row(document), priors.get(document.source_id, 0.0),
                               keywords.get(document.source_id, ()), model)
            for column, value in relevance_columns(relevance).items():
                setattr(document, column, value)
        session.commit()
    return len(ids)


def due_for_training(config: Config, session: Session) -> tuple[bool, int]:
    """Whether enough decisions (relevance.retrain_after) were taken since the newest trained model."""
    newest = next(iter(registry.saved_models(config.models_dir)), None)
    since = datetime.fromisoformat(newest.meta["trained_at"]) if newest and newest.meta.get("trained_at") else None
    new = decisions_since(session, since)
    return new >= config.relevance.retrain_after, new
