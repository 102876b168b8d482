"""The web queue: filters, order, pages, counts per status and full-text search, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import func, insert, select, text

from crawler.items import Relevance
from crawler.storage import db, search
from crawler.storage.documents import store_items
from crawler.storage.models import Document, Source
from crawler.storage.queue import QueueFilter, filter_choices, search_queue, status_counts
from editorial import triage
from tests.triage_items import FETCHED, item, store

TODAY = date(2025, 1, 20)


@pytest.fixture
def stored(session):
    ids = store(
        session,
        item("federal-register", "https://fr.example/d/1", "Framework for Artificial Intelligence Diffusion",
             date(2025, 1, 15), relevance=Relevance(score=0.9, terms=["artificial intelligence"]),
             summary="Export controls on advanced computing and AI model weights."),
        item("cac", "https://cac.example/a/1", "生成式人工智能服务管理暂行办法", date(2025, 1, 10), jurisdiction="CN",
             doc_type="law", authority="国家互联网信息办公室", language="zh",
             relevance=Relevance(score=0.75, terms=["生成式", "人工智能"]),
             text="第一条 为了促进生成式人工智能健康发展和规范应用，提供者应当对算法推荐服务进行备案。"),
        item("nj-legislature", "https://nj.example/bills/A1", "An Act concerning deceptive audio and visual media",
             date(2025, 1, 15), jurisdiction="US-NJ", doc_type="bill", authority="New Jersey Legislature",
             relevance=Relevance(score=0.5, terms=["deepfake"]), summary="AI-driven deepfakes in elections."),
        item("federal-register", "https://fr.example/d/2", "Notice of public meeting", date(2024, 12, 1),
             doc_type="notice", relevance=Relevance(score=0.1, terms=[]), summary="Forecast models of weather."),
        item("federal-register", "https://fr.example/d/3", "Undated guidance", None, doc_type="guidance",
             relevance=Relevance(score=0.3, terms=[])),
    )
    return dict(zip(("fr", "cac", "nj", "meeting", "undated"), ids, strict=True))


def _ids(session, **filters) -> list[int]:
    return [row.document_id for row in search_queue(session, QueueFilter(**filters), today=TODAY).rows]


def test_queue_is_newest_first_then_most_relevant(session, stored):
    assert _ids(session) == [stored["fr"], stored["nj"], stored["cac"], stored["meeting"], stored["undated"]]
    row = search_queue(session, QueueFilter(), today=TODAY).rows[2]
    assert (row.title, row.authority, row.jurisdiction, row.doc_type, row.published, row.status) == (
        "生成式人工智能服务管理暂行办法", "国家互联网信息办公室", "CN", "law", date(2025, 1, 10), "new")
    assert row.matched_terms == ["生成式", "人工智能"] and row.relevance == 0.75 and row.updated is False


def test_filters_narrow_the_queue(session, stored):
    assert _ids(session, sources=("cac",)) == [stored["cac"]]
    assert _ids(session, jurisdictions=("US",)) == [stored["fr"], stored["nj"], stored["meeting"], stored["undated"]]
    assert _ids(session, jurisdictions=("US-NJ",)) == [stored["nj"]]
    assert _ids(session, doc_types=("law", "bill")) == [stored["nj"], stored["cac"]]
    assert _ids(session, categories=("industry",)) == []
    assert _ids(session, date_from=date(2025, 1, 10), date_to=date(2025, 1, 14)) == [stored["cac"]]
    assert _ids(session, min_relevance=0.6) == [stored["fr"], stored["cac"]]


def test_pages_split_the_filtered_queue(session, stored):
    page = search_queue(session, QueueFilter(), page=2, per_page=2, today=TODAY)
    assert (page.total, page.pages, page.page) == (5, 3, 2)
    assert [r.document_id for r in page.rows] == [stored["cac"], stored["meeting"]]


def test_status_filter_and_counts_per_status(session, stored):
    triage.accept(session, [stored["fr"]], "li", "2025-01", "law")
    triage.reject(session, [stored["meeting"]], "li", "off topic")
    triage.snooze(session, [stored["nj"]], "li", date(2025, 2, 1), today=TODAY)
    triage.assign(session, [stored["cac"]], "li", "wang")
    session.commit()
    assert _ids(session, status="new") == [stored["cac"], stored["undated"]]
    assert _ids(session, status="snoozed") == [stored["nj"]]
    assert _ids(session, status="accepted", month="2025-01") == [stored["fr"]]
    assert _ids(session, assignee="wang") == [stored["cac"]]
    counts = status_counts(session, QueueFilter(status="new"), today=TODAY)
    assert counts == {"new": 2, "accepted": 1, "rejected": 1, "snoozed": 1, "updated": 0}
    assert status_counts(session, QueueFilter(sources=("federal-register",)), today=TODAY)["new"] == 1


def test_snoozed_item_is_new_again_on_its_day(session, stored):
    triage.snooze(session, [stored["nj"]], "li", date(2025, 2, 1), today=TODAY)
    session.commit()
    assert stored["nj"] not in _ids(session, status="new")
    later = search_queue(session, QueueFilter(status="new"), today=date(2025, 2, 1))
    assert stored["nj"] in [r.document_id for r in later.rows]
    assert next(r for r in later.rows if r.document_id == stored["nj"]).status == "new"
    assert status_counts(session, QueueFilter(), today=date(2025, 2, 1))["snoozed"] == 0


def test_search_matches_english_words_and_longer_forms(session, stored):
    assert _ids(session, search="intelligence") == [stored["fr"]]
    assert _ids(session, search="INTELLIGENCE diffusion") == [stored["fr"]]
    assert _ids(session, search="model") == [stored["fr"], stored["meeting"]]  # "model weights", "models"
    assert _ids(session, search="AI-driven") == [stored["nj"]]
    assert _ids(session, search='"weather forecast"') == []
    assert _ids(session, search="intelligence weather") == []


def test_search_matches_a_two_character_chinese_word_inside_a_sentence(session, stored):
    assert _ids(session, search="算法") == [stored["cac"]]
    assert _ids(session, search="人工智能 备案") == [stored["cac"]]
    assert _ids(session, search="办法") == [stored["cac"]]  # the last characters of the title
    assert _ids(session, search="法") == [stored["cac"]]
    assert _ids(session, search="智算") == []
    assert _ids(session, search="算法", status="rejected") == []


def test_search_without_a_searchable_word_filters_nothing(session, stored):
    assert len(_ids(session, search="!!! ---")) == 5


def test_search_follows_a_new_version_of_the_text(session, stored):
    changed = item("cac", "https://cac.example/a/1", "生成式人工智能服务管理暂行办法", date(2025, 1, 10),
                   jurisdiction="CN", doc_type="law", content_hash="hash:v2", text="第二版：深度合成服务。")
    store_items(session, "cac", [(changed, None)])
    assert _ids(session, search="算法") == []
    assert _ids(session, search="深度合成") == [stored["cac"]]
    assert _ids(session, status="updated") == [stored["cac"]]


def test_filter_choices_are_the_stored_values(session, stored):
    choices = filter_choices(session)
    assert choices["sources"] == ["cac", "federal-register", "nj-legislature"]
    assert choices["jurisdictions"] == ["CN", "US", "US-NJ"]
    assert choices["doc_types"] == ["bill", "guidance", "law", "notice", "rule"]
    assert choices["categories"] == ["law_regulation"]


def test_documents_stored_before_the_migration_are_searchable(database_url):
    engine = db.get_engine(database_url)
    command.upgrade(db._alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(insert(Source).values(id="cac", spider="cac", name="cac", enabled=True))
        connection.execute(insert(Document).values(
            source_id="cac", url="https://cac.example/old", title="人工智能安全治理框架", doc_type="guidance",
            identifiers={}, dates={}, summary="", text="关于算法安全的要求", content_hash="h", relevance_score=0.5,
            relevance_terms=[], fetched_at=FETCHED, first_seen_at=FETCHED))
    db.upgrade_schema(engine)
    with db.open_session(database_url) as session:
        matched = session.scalars(
            select(Document.id).where(search.matching(session, "算法"))).all()
        assert len(matched) == 1


def test_query_words_become_phrases_of_the_index_tokens():
    assert search.index_tokens("AI生成式算法 v2") == ["ai", "生成", "成式", "式算", "算法", "法", "v2"]
    phrases = search.query_phrases('人工智能 "Model Weights" regulat 法')
    assert search.fts5_query(phrases) == '"人工 工智 智能" AND "model weights" AND "regulat" * AND "法" *'
    assert search.tsquery(phrases) == (
        "('人工' <-> '工智' <-> '智能') & ('model' <-> 'weights') & ('regulat':*) & ('法':*)")


def test_counts_follow_a_decision_taken_in_the_same_session(session, stored):
    before = search_queue(session, QueueFilter(status="new"), today=TODAY)
    assert before.total == 5 and status_counts(session, QueueFilter(), today=TODAY)["new"] == 5
    triage.reject(session, [stored["fr"]], "li", "off topic")
    after = search_queue(session, QueueFilter(status="new"), today=TODAY)
    assert after.total == 4 and stored["fr"] not in [r.document_id for r in after.rows]
    assert status_counts(session, QueueFilter(), today=TODAY)["rejected"] == 1


def test_a_deleted_document_leaves_the_search_index(session, stored):
    session.delete(session.get(Document, stored["cac"]))
    session.commit()
    assert session.scalars(select(Document.id).where(search.matching(session, "算法"))).all() == []
    table = search.SQLITE_TABLE if session.get_bind().dialect.name == "sqlite" else search.POSTGRES_TABLE
    assert session.scalar(select(func.count()).select_from(text(table))) == 4


def test_regwatch_queue_search_keeps_the_json_keys(tmp_path, database_url, session, stored):
    import json

    from tests.conftest import regwatch, write_config

    path = write_config(tmp_path, [], storage={"url": database_url})
    done = regwatch(path, "queue", "--json", "--search", "算法")
    assert done.returncode == 0, done.stderr
    [entry] = [json.loads(line) for line in done.stdout.splitlines()]
    assert (entry["id"], entry["status"], entry["updated"], entry["source"]) == (stored["cac"], "new", False, "cac")
    assert list(entry)[:3] == ["id", "status", "updated"] and "linked" in entry
