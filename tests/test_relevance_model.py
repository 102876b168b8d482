"""The relevance model: source priors, scoring with the shipped starter model, training on the
group's decisions in a real database, kept versions, `regwatch relevance`, `queue --json`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import select

from crawler.config import Config, SourceConfig
from crawler.items import CandidateItem
from crawler.pipelines import normalize_item
from crawler.relevance_model import registry
from crawler.relevance_model.features import Example, ModelInput
from crawler.relevance_model.learning import rescore_open_items, train
from crawler.relevance_model.starter import starter_examples
from crawler.storage.models import Document
from crawler.storage.relevance_examples import decision_examples
from editorial import triage
from tests.conftest import ROOT, regwatch, write_config
from tests.feeds import rss
from tests.triage_items import item, open_store, store

FETCHED = datetime(2025, 1, 20, 8, tzinfo=UTC)
OFF_TOPIC = ["off-topic", "不相关"]
# A product name no term list and no starter item knows: only the group's decisions can teach it.
ACCEPTED = ["Quillon 3 released to all users", "Quillon app adds a voice mode", "Quillon 3.5 reasoning preview",
            "Quillon opens its developer platform", "Quillon 3 tops the leaderboard"]
REJECTED = ["Quarterly water tariff notice", "Road closure on Harbor Street", "Annual report on parking permits",
            "Public hearing on the harbour dredging permit", "Notice of change to bus timetables"]


def _config(tmp_path, **relevance) -> Config:
    return Config(sources=[], relevance={"models_dir": tmp_path / "models", **relevance})


def _decided(session, accepted: list[str], rejected: list[str], reason: str = "off-topic") -> list[int]:
    items = [item("federal-register", f"https://example.gov/{abs(hash(title))}", title, date(2025, 1, 10),
                  summary=title) for title in accepted + rejected]
    ids = store(session, *items)
    if accepted:
        triage.accept(session, ids[:len(accepted)], "li", "2025-01", "industry")
    if rejected:
        triage.reject(session, ids[len(accepted):], "li", reason)
    session.commit()
    return ids


def _score(model, title: str, source: str = "federal-register") -> float:
    return model.score(ModelInput(title, title, source, "law_regulation", "notice")).score


def test_source_prior_raises_the_score_and_shows_in_parts():
    raw = CandidateItem(source="deepseek-news", url="https://api-docs.deepseek.com/news/news250120",
                        title="DeepSeek-R1 发布，性能对标 OpenAI o1 正式版", fetched_at=FETCHED)
    plain = SourceConfig(id="deepseek-news", spider="deepseek_news", urls={"listing": "https://api-docs.deepseek.com/"})
    newsroom = plain.model_copy(update={"relevance": plain.relevance.model_copy(update={"prior": 0.6})})
    without, with_prior = normalize_item(raw, plain).relevance, normalize_item(raw, newsroom).relevance
    assert (without.prior, without.parts.prior) == (0.0, 0.0)
    assert (with_prior.prior, with_prior.parts.prior) == (0.6, 0.6)
    assert with_prior.score == pytest.approx(0.6 + 0.4 * without.score, abs=0.002) and with_prior.score >= 0.6


def test_source_prior_outside_zero_to_one_is_a_config_error():
    with pytest.raises(ValueError, match="prior"):
        SourceConfig(id="x", spider="feed", urls={"feed": "https://example.org/feed"}, relevance={"prior": 1.5})


def test_parts_add_up_to_the_score_and_the_model_is_recorded(tmp_path):
    model = registry.active_model(_config(tmp_path))
    raw = CandidateItem(source="moonshot-news", url="https://platform.moonshot.ai/blog/posts/kimi-k1-5",
                        title="Kimi k1.5: scaling reinforcement learning with long context",
                        summary="Kimi k1.5 reaches state-of-the-art reasoning on math and code benchmarks.",
                        fetched_at=FETCHED)
    source = SourceConfig(id="moonshot-news", spider="cn_listing", urls={"blog": "https://platform.moonshot.ai/blog"},
                          relevance={"prior": 0.3})
    relevance = normalize_item(raw, source, model).relevance
    assert relevance.model.version == model.version and relevance.model.version.startswith("relevance-starter-")
    assert relevance.parts.prior + relevance.parts.terms + relevance.parts.model == pytest.approx(relevance.score,
                                                                                               abs=0.002)
    assert relevance.score >= 0.5 and relevance.model.features and all(w > 0 for _, w in relevance.model.features)


def test_starter_model_scores_a_fresh_install_before_any_decision(tmp_path):
    model = registry.active_model(_config(tmp_path))
    assert model is not None and model.version == registry.load(registry.STARTER_MODEL).version
    assert _score(model, "Interim measures for the administration of generative AI services") >= 0.5
    assert _score(model, "Airworthiness Directives; The Boeing Company Airplanes") < 0.5


def test_scoring_without_scikit_learn_matches_scikit_learn_decisions():
    from crawler.relevance_model import training

    examples = starter_examples()[::4]
    model = training.fit(examples, {"version": "check"})
    rows, labels = training._matrix(examples), training._labels(examples)
    expected = training._pipeline().fit(rows, labels).decision_function(rows[:40])
    ours, _ = model.decisions([e.item for e in examples[:40]])
    assert np.allclose(ours, expected, atol=1e-6)


def test_a_batch_scores_the_same_as_its_items_one_by_one():
    model = registry.load(registry.STARTER_MODEL)
    items = [e.item for e in starter_examples()[:30]] + [ModelInput("", "", None, None, None)]
    assert model.score_many(items) == [model.score(item) for item in items]


def test_off_topic_rejections_are_negatives_and_other_rejections_are_ignored(database_url):
    session = open_store(database_url)
    try:
        ids = _decided(session, ["EU AI Act guidelines"], ["Fishing quota notice"])
        duplicate = _decided(session, [], ["Tender for school canteen catering"], reason="duplicate of 12")[-1]
        no_reason = store(session, item("federal-register", "https://example.gov/n", "Bridge repairs", None))[0]
        triage.reject(session, [no_reason], "li", "")
        chinese = _decided(session, [], ["水利工程招标公告"], reason="与本刊不相关")[-1]
        still_new = store(session, item("federal-register", "https://example.gov/new", "Open item", None))[0]
        session.commit()
        labels = {int(e.ref): e.label for e in decision_examples(session, OFF_TOPIC)}
        assert labels == {ids[0]: 1, ids[1]: 0, chinese: 0}
        assert duplicate not in labels and no_reason not in labels and still_new not in labels
    finally:
        session.close()


def test_model_trained_on_decisions_ranks_a_new_model_name_above_an_ordinary_notice(tmp_path):
    config = _config(tmp_path)
    session = open_store(f"sqlite:///{tmp_path / 'regwatch.db'}")
    try:
        _decided(session, ACCEPTED, REJECTED)
        report = train(config, session, with_metrics=False)
    finally:
        session.close()
    trained, starter = registry.load(registry.saved_models(config.models_dir)[0].path), registry.load(
        registry.STARTER_MODEL)
    assert report.counts["decision_on_topic"] == 5 and report.counts["decision_off_topic"] == 5
    new_model, ordinary = "Quillon 4 preview opens to developers", "Notice of public hearing on water rates"
    assert _score(trained, new_model) > _score(trained, ordinary)
    assert _score(trained, new_model) > _score(starter, new_model)


def test_each_training_is_kept_under_its_version_and_items_record_it(tmp_path):
    config = _config(tmp_path)
    session = open_store(f"sqlite:///{tmp_path / 'regwatch.db'}")
    try:
        _decided(session, ACCEPTED[:2], REJECTED[:2])
        waiting = store(session, item("federal-register", "https://example.gov/w", "Quillon 4 preview", None))[0]
        first = train(config, session, now=datetime(2025, 2, 1, tzinfo=UTC), with_metrics=False)
        _decided(session, ACCEPTED[2:], REJECTED[2:])
        second = train(config, session, now=datetime(2025, 2, 2, tzinfo=UTC), with_metrics=False)
        stored = session.scalar(select(Document).where(Document.id == waiting))
        session.refresh(stored)
        assert [m.version for m in registry.saved_models(config.models_dir)] == [second.version, first.version]
        assert first.version.startswith("relevance-20250201T000000Z-") and second.version != first.version
        assert stored.relevance_model_version == second.version == registry.active_model(config).version
        assert stored.relevance_detail["model"]["version"] == second.version and second.rescored >= 1
        pinned = _config(tmp_path, model=first.version)
        assert registry.active_model(pinned).version == first.version
        assert rescore_open_items(session, pinned, registry.active_model(pinned)) >= 1
        session.refresh(stored)
        assert stored.relevance_model_version == first.version
        meta = json.loads((config.models_dir / f"{first.version}.meta.json").read_text())
        assert meta["counts"]["decision_on_topic"] == 2 and meta["sklearn_version"]
    finally:
        session.close()


def test_service_trains_once_a_day_when_enough_decisions_exist(tmp_path):
    from sqlalchemy.orm import sessionmaker

    from crawler.storage import db
    from scheduler.relevance_training import DailyTraining

    url = f"sqlite:///{tmp_path / 'regwatch.db'}"
    config = _config(tmp_path, retrain_after=3)
    session = open_store(url)
    _decided(session, ACCEPTED[:1], REJECTED[:1])
    sessions = sessionmaker(db.get_engine(url), expire_on_commit=False)
    daily, now = DailyTraining(), datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert daily.check_and_train(sessions, config, now) is None  # two decisions: not enough
    _decided(session, ACCEPTED[1:3], REJECTED[1:3])
    session.close()
    assert daily.poke(sessions, config, now)
    daily.join(120)
    assert [m.meta["trained_at"] for m in registry.saved_models(config.models_dir)] == ["2025-03-01T09:00:00+00:00"]
    assert not daily.poke(sessions, config, datetime(2025, 3, 1, 20, tzinfo=UTC))  # checked today already


def test_relevance_train_and_eval_print_json_through_the_cli(tmp_path):
    config = write_config(tmp_path, [])
    assert regwatch(config, "init").returncode == 0
    session = open_store(f"sqlite:///{tmp_path / 'regwatch-data' / 'regwatch.db'}")
    _decided(session, ACCEPTED, REJECTED)
    session.close()
    trained = regwatch(config, "relevance", "train", "--json", "--no-metrics")  # eval below cross-validates
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout)
    assert report["version"].startswith("relevance-") and report["counts"]["decision_on_topic"] == 5
    assert report["counts"]["examples"] == len(starter_examples()) + 10 and report["metrics"] is None
    assert (tmp_path / "regwatch-data" / "models" / f"{report['version']}.json.gz").is_file()
    evaluated = regwatch(config, "relevance", "eval", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["starter"]["examples"] == len(starter_examples()) and metrics["decision"]["examples"] == 10
    assert metrics["starter"]["combined"]["precision"] >= 0.85 and metrics["starter"]["combined"]["recall"] >= 0.9


def test_queue_json_shows_the_model_version_parts_and_prior_of_a_crawled_item(site, tmp_path):
    site.serve("/feed.xml", rss(site.base, 2, prefix="Launch"), "application/rss+xml; charset=UTF-8")
    source = {"id": "ai-lab-news", "spider": "feed", "urls": {"feed": f"{site.base}/feed.xml"}, "jurisdiction": "US",
              "category": "industry", "relevance": {"prior": 0.4}}
    config = write_config(tmp_path, [source])
    assert regwatch(config, "crawl").returncode == 0
    result = regwatch(config, "queue", "--json")
    assert result.returncode == 0, result.stderr
    relevance = json.loads(result.stdout.splitlines()[0])["relevance"]
    assert relevance["model"]["version"] == registry.load(registry.STARTER_MODEL).version
    assert relevance["prior"] == 0.4 and relevance["parts"]["prior"] == 0.4 and relevance["model"]["features"]
    assert relevance["terms"] and relevance["score"] == pytest.approx(sum(relevance["parts"].values()), abs=0.002)


def test_commands_that_do_not_score_do_not_import_scikit_learn():
    code = ("import sys; from typer.testing import CliRunner; from regwatch.cli import app; "
            "CliRunner().invoke(app, ['--help']); import crawler.pipelines, crawler.parsing; "
            "print('sklearn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"


def test_a_broken_trained_model_falls_back_to_the_starter_model(tmp_path):
    config = _config(tmp_path)
    config.models_dir.mkdir(parents=True)
    (config.models_dir / "relevance-20990101T000000Z-deadbeef.json.gz").write_bytes(b"not gzip")
    (config.models_dir / "relevance-20990101T000000Z-deadbeef.meta.json").write_text(
        json.dumps({"version": "relevance-20990101T000000Z-deadbeef", "trained_at": "2099-01-01T00:00:00+00:00"}))
    registry.forget()
    assert registry.active_model(config).version == registry.load(registry.STARTER_MODEL).version


def test_examples_are_read_in_the_same_order_every_time():
    first, again = starter_examples(), starter_examples()
    assert [e.ref for e in first] == [e.ref for e in again] and isinstance(first[0], Example)
    assert {e.label for e in first} == {0, 1}


def test_a_malformed_starter_line_is_named_by_file_and_line(tmp_path):
    from crawler.relevance_model.starter import StarterDataError

    good = {"id": "en-1", "label": 1, "title": "AI Act", "summary": "", "source_id": "eur-lex"}
    (tmp_path / "en.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({**good, "label": 2}) + "\n")
    with pytest.raises(StarterDataError, match=r"en\.jsonl:2"):
        starter_examples(tmp_path)
