"""One story per event across sources (crawler.stories, storage.stories): grouping on store and by
`regwatch stories rebuild`, the head, decisions on the whole story, editors' splits, the queue."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crawler.config import SourceConfig, load_config
from crawler.items import CandidateItem
from crawler.storage import db, documents, queue, runs, stories
from crawler.storage.documents import store_items
from crawler.storage.models import TriageEvent, TriageState
from editorial import triage, users
from tests.conftest import regwatch, write_config
from tests.web.conftest import login

FETCHED = datetime(2025, 1, 22, 6, tzinfo=UTC)
SOURCES = ("deepseek-news", "wechat", "reuters-tech", "openai-news", "eur-lex")
NEWSROOM = dict(
    source="deepseek-news", url="https://api-docs.deepseek.com/zh-cn/news/news250120",
    title="DeepSeek-R1 发布，性能对标 OpenAI o1 正式版", published=date(2025, 1, 20), doc_type="press_release",
    category="industry", language="zh",
    summary="今天，我们正式发布 DeepSeek-R1，并同步开源模型权重。DeepSeek-R1 在后训练阶段大规模使用了强化学习技术，"
            "在仅有极少标注数据的情况下，极大提升了模型推理能力。")
WECHAT = dict(
    source="wechat", url="https://mp.weixin.qq.com/s/Xb3oV0pXW5Q0qCz1dEepSk", title="深度求索发布DeepSeek-R1推理模型",
    published=date(2025, 1, 21), doc_type="news", category="industry", language="zh",
    summary="1月20日，深度求索正式发布推理模型DeepSeek-R1，并以MIT许可证开源模型权重，"
            "数学、代码任务表现比肩OpenAI o1。")
REUTERS = dict(
    source="reuters-tech", url="https://www.reuters.com/technology/chinas-deepseek-releases-r1-reasoning-model-2025-01-21/",
    title="China's DeepSeek releases R1 reasoning model, says it rivals OpenAI's o1", published=date(2025, 1, 21),
    doc_type="news", category="industry", language="en",
    summary="Chinese AI startup DeepSeek released its R1 reasoning model on Monday under an open licence, saying "
            "it performs on par with OpenAI's o1 on mathematics, coding and reasoning tasks.")


def _item(fields: dict, **changes) -> CandidateItem:
    merged = {**fields, **changes}
    return CandidateItem(fetched_at=FETCHED, content_hash=merged["url"][-16:], **merged)


def _store(session, *items: CandidateItem) -> list[int]:
    ids = []
    for item in items:
        store_items(session, item.source, [(item, None)])
        stories.group_new(session)  # what the service's tick and the end of `regwatch crawl` do
        ids.append(session.scalar(select(documents.Document.id).where(documents.Document.url == item.url)))
    return ids


def _queue(session) -> list[dict]:
    return [documents.queue_entry(d, t) for d, t in documents.list_queue(session, by_story=True)]


@pytest.fixture
def session(database_url):
    session = db.open_session(database_url)
    runs.sync_sources(session, [SourceConfig(id=s, spider="feed", urls=["https://example.com/feed"]) for s in SOURCES])
    yield session
    session.close()


def test_model_release_in_three_sources_is_one_story_headed_by_the_newsroom(session):
    reuters, wechat, newsroom = _store(session, _item(REUTERS), _item(WECHAT), _item(NEWSROOM))
    [entry] = _queue(session)
    assert entry["id"] == newsroom and entry["source"] == "deepseek-news"
    story = entry["story"]
    assert story["head"] == newsroom
    assert [(m["id"], m["source"]) for m in story["members"]] == [
        (newsroom, "deepseek-news"), (reuters, "reuters-tech"), (wechat, "wechat")]
    reasons = {r["value"]: r for j in story["joined_by"] for r in j["reasons"]}
    assert reasons["deepseek-r1"]["kind"] in {"name", "name_spelled_apart"} and reasons["deepseek-r1"]["score"] > 0
    assert all(j["score"] >= 1.0 for j in story["joined_by"])


def test_two_unrelated_items_with_ai_in_their_titles_the_same_day_stay_apart(session):
    _store(session, _item(REUTERS, title="AI chip stocks slide as investors weigh export rules",
                          summary="Shares of AI chipmakers fell on Tuesday after new US export rules."),
           _item(NEWSROOM, source="openai-news", url="https://openai.com/index/ai-in-education/", language="en",
                 title="Bringing AI to classrooms across the country",
                 summary="We are partnering with teachers to bring AI tools to schools."))
    assert [entry["story"] for entry in _queue(session)] == [None, None]


def test_a_reposted_press_release_joins_by_near_duplicate_title_and_summary(session):
    text = ("The Federal Trade Commission issued orders to five companies requiring them to provide information "
            "regarding recent investments and partnerships involving generative AI companies.")
    release, repost = _store(
        session,
        _item(NEWSROOM, source="openai-news", url="https://www.ftc.gov/news/ftc-launches-inquiry", language="en",
              title="FTC Launches Inquiry into Generative AI Investments and Partnerships", summary=text),
        _item(WECHAT, title="FTC launches inquiry into generative AI investments, partnerships",
              summary=text.replace("issued orders", "has issued orders")))
    [entry] = _queue(session)
    kinds = {r["kind"] for r in entry["story"]["joined_by"][0]["reasons"]}
    assert entry["id"] == release and kinds == {"title_similarity", "summary_similarity"}


def test_the_same_generic_title_alone_joins_nothing(session):
    _store(session, _item(NEWSROOM, title="Statement on the weekly update", summary="Read the statement."),
           _item(REUTERS, title="Statement on the weekly update", summary="Read the statement."))
    assert [entry["story"] for entry in _queue(session)] == [None, None]


def test_the_same_release_reported_thirty_days_later_is_another_story(session):
    _store(session, _item(NEWSROOM), _item(REUTERS, published=date(2025, 2, 20)))
    assert len(_queue(session)) == 2


def test_items_of_the_same_source_never_join(session):
    _store(session, _item(NEWSROOM), _item(NEWSROOM, url="https://api-docs.deepseek.com/zh-cn/news/news250121",
                                            title="DeepSeek-R1 论文发布"))
    assert [entry["story"] for entry in _queue(session)] == [None, None]


def test_a_shared_celex_number_joins_a_regulation_and_its_report(session):
    regulation, report = _store(
        session,
        _item(NEWSROOM, source="eur-lex", url="https://eur-lex.europa.eu/eli/reg/2024/1689/oj", language="en",
              title="Regulation (EU) 2024/1689 laying down harmonised rules on artificial intelligence",
              summary="Artificial Intelligence Act.", doc_type="law", category="law_regulation",
              published=date(2024, 7, 12), identifiers={"celex": "32024R1689"}),
        _item(REUTERS, title="EU publishes landmark rules in its Official Journal", published=date(2024, 7, 12),
              summary="The text of Regulation (EU) 2024/1689 was published on Friday."))
    [entry] = _queue(session)
    assert entry["id"] == regulation
    [joined] = entry["story"]["joined_by"]
    assert joined["id"] == report and {"kind": "identifier", "value": "eu_act:2024/1689", "score": 1.0} in \
        joined["reasons"]


def test_accepting_the_story_accepts_every_item_each_with_its_own_event(session):
    ids = _store(session, _item(REUTERS), _item(WECHAT), _item(NEWSROOM))
    triage.accept(session, [ids[2]], "editor", "2025-01", "industry")
    session.commit()
    states = session.scalars(select(TriageState).where(TriageState.document_id.in_(ids))).all()
    assert {(s.status, s.bulletin_month, s.section) for s in states} == {("accepted", "2025-01", "industry")}
    events = session.scalars(select(TriageEvent.document_id).where(TriageEvent.action == "accept")).all()
    assert sorted(events) == sorted(ids)


def test_rejecting_note_and_assign_apply_to_the_whole_story(session):
    ids = _store(session, _item(REUTERS), _item(WECHAT), _item(NEWSROOM))
    triage.reject(session, [ids[0]], "editor", "covered last month")
    triage.assign(session, [ids[1]], "editor", "wang")
    triage.add_note(session, ids[2], "editor", "same as the December item")
    session.commit()
    states = session.scalars(select(TriageState).where(TriageState.document_id.in_(ids))).all()
    assert {(s.status, s.assignee, s.note) for s in states} == {("rejected", "wang", "same as the December item")}


def test_a_newcomer_to_a_decided_story_takes_its_decision(session):
    reuters, wechat = _store(session, _item(REUTERS), _item(WECHAT))
    triage.accept(session, [reuters], "editor", "2025-01", "industry")
    session.commit()
    [newsroom] = _store(session, _item(NEWSROOM))
    state = session.get(TriageState, newsroom)
    assert (state.status, state.bulletin_month) == ("accepted", "2025-01")
    actions = session.scalars(select(TriageEvent.action).where(TriageEvent.document_id == newsroom)).all()
    assert actions == ["story_joined", "story_decision"]


def test_a_split_item_stays_out_after_rebuild_and_is_decided_alone(session):
    reuters, wechat, newsroom = _store(session, _item(REUTERS), _item(WECHAT), _item(NEWSROOM))
    stories.split(session, wechat, "editor")
    session.commit()
    report = stories.rebuild(session)
    session.commit()
    assert (report.stories, report.grouped, report.kept_apart) == (1, 2, 1)
    entries = {e["id"]: e for e in _queue(session)}
    assert set(entries) == {newsroom, wechat}
    assert entries[wechat]["story"] is None
    assert [m["id"] for m in entries[newsroom]["story"]["members"]] == [newsroom, reuters]
    triage.reject(session, [newsroom], "editor", None)
    session.commit()
    assert session.get(TriageState, wechat).status == "new"


def test_splitting_one_of_two_dissolves_the_story(session):
    reuters, newsroom = _store(session, _item(REUTERS), _item(NEWSROOM))
    stories.split(session, reuters, "editor")
    session.commit()
    assert [e["story"] for e in _queue(session)] == [None, None]
    with pytest.raises(stories.StoryError, match=f"item {newsroom} is in no story"):
        stories.split(session, newsroom, "editor")


def test_undoing_a_split_groups_the_item_again(session):
    reuters, newsroom = _store(session, _item(REUTERS), _item(NEWSROOM))
    stories.split(session, reuters, "editor")
    assert stories.allow_grouping(session, reuters, "editor") is True
    session.commit()
    [entry] = _queue(session)
    assert entry["id"] == newsroom and [m["id"] for m in entry["story"]["members"]] == [newsroom, reuters]


def test_web_queue_shows_a_story_as_one_row_with_its_members_and_counts_it_once(session):
    _store(session, _item(REUTERS), _item(WECHAT), _item(NEWSROOM))
    page = queue.search_queue(session, queue.QueueFilter(status="new"), today=date(2025, 1, 22))
    [row] = page.rows
    assert row.source_id == "deepseek-news" and [m.source_id for m in row.story.others] == ["reuters-tech", "wechat"]
    assert queue.status_counts(session, queue.QueueFilter(), today=date(2025, 1, 22))["new"] == 1
    # Filtered to Reuters, the Reuters item is found, listed with its story.
    [row] = queue.search_queue(session, queue.QueueFilter(sources=("reuters-tech",)), today=date(2025, 1, 22)).rows
    assert row.source_id == "reuters-tech" and row.story.head_id != row.document_id


@pytest.fixture
def site_config(tmp_path):
    """A config and SQLite database holding the three reports of the release, and an editor."""
    path = write_config(tmp_path, [{"id": s, "spider": "feed", "urls": ["https://example.com/feed"]} for s in SOURCES],
                        web={"secret_key": "s" * 40})
    config = load_config(path)
    with db.open_session(config.database_url) as session:
        runs.sync_sources(session, config.sources)
        ids = _store(session, _item(REUTERS), _item(WECHAT), _item(NEWSROOM))
        users.add_user(session, "editor", "editor", "correct horse battery")
        session.commit()
    db.get_engine(config.database_url).dispose()
    return path, dict(zip(("reuters", "wechat", "newsroom"), ids, strict=True))


@pytest.fixture
def editor(site_config):
    from web.app import create_app

    with TestClient(create_app(load_config(site_config[0]))) as client:
        client.csrf = login(client, "editor", "correct horse battery")
        yield client


def _rows(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('<tr data-id="')[1:]]


def test_web_queue_lists_the_story_once_with_each_member_and_its_source(site_config, editor):
    ids = site_config[1]
    html = editor.get("/queue?status=new").text
    assert _rows(html) == [str(ids["newsroom"])]
    for member in ("reuters", "wechat"):
        assert f'data-member="{ids[member]}"' in html and f'href="/items/{ids[member]}"' in html
    assert "reuters-tech" in html and "China&#39;s DeepSeek releases R1" in html


def test_web_decision_on_the_story_row_decides_every_member(site_config, editor):
    ids = site_config[1]
    response = editor.post("/decide", data={"ids": [ids["newsroom"]], "action": "accept", "month": "2025-01",
                                            "section": "industry", "csrf_token": editor.csrf},
                           headers={"Accept": "application/json"})
    assert response.json()["ok"] is True
    assert _rows(editor.get("/queue?status=accepted").text) == [str(ids["newsroom"])]
    assert _rows(editor.get("/queue?status=new").text) == []
    for member in ("reuters", "wechat"):
        assert 'class="badge status accepted" id="item-status"' in editor.get(f"/items/{ids[member]}").text


def test_item_page_explains_the_story_and_split_button_takes_the_item_out(site_config, editor):
    ids = site_config[1]
    page = editor.get(f"/items/{ids['reuters']}").text
    assert 'id="story"' in page and "name_spelled_apart" in page and "deepseek-r1" in page
    assert f'action="/items/{ids["reuters"]}/split"' in page
    response = editor.post(f"/items/{ids['reuters']}/split", data={"csrf_token": editor.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert sorted(_rows(editor.get("/queue?status=new").text)) == sorted([str(ids["newsroom"]), str(ids["reuters"])])
    page = editor.get(f"/items/{ids['reuters']}").text
    assert f'action="/items/{ids["reuters"]}/unsplit"' in page and "editor" in page


def test_queue_json_keeps_every_item_and_stories_nests_members_under_the_head(site_config):
    path, ids = site_config
    [head] = [json.loads(line) for line in regwatch(path, "queue", "--json", "--stories").stdout.splitlines()]
    assert head["id"] == ids["newsroom"] and {"source", "url", "title", "relevance", "linked"} <= set(head)
    assert set(head["story"]) == {"id", "head", "members", "joined_by"}
    assert [m["source"] for m in head["story"]["members"]] == ["deepseek-news", "reuters-tech", "wechat"]
    assert {"id", "source", "title", "url", "published", "doc_type", "status", "head", "joined_by"} == \
        set(head["story"]["members"][1])
    flat = [json.loads(line) for line in regwatch(path, "queue", "--json").stdout.splitlines()]
    assert sorted(e["id"] for e in flat) == sorted(ids.values())
    assert {e["story"]["id"] for e in flat} == {head["story"]["id"]}


def test_cli_split_is_kept_by_rebuild(site_config):
    path, ids = site_config
    split = regwatch(path, "stories", "split", str(ids["wechat"]), "--as", "wang")
    assert split.returncode == 0, split.stderr
    rebuilt = regwatch(path, "stories", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 stories of 2 items" in rebuilt.stdout and "1 items kept apart" in rebuilt.stdout
    entries = [json.loads(line) for line in regwatch(path, "queue", "--json", "--stories").stdout.splitlines()]
    assert sorted((e["source"], e["story"] is None) for e in entries) == [("deepseek-news", False), ("wechat", True)]


def test_an_accepted_story_is_one_bulletin_entry_the_heads(session):
    from crawler.config import BulletinConfig
    from editorial.bulletin import bulletin_entries

    ids = _store(session, _item(REUTERS), _item(WECHAT), _item(NEWSROOM))
    triage.accept(session, [ids[0]], "editor", "2025-01", "industry")
    session.commit()
    entries = bulletin_entries(session, "2025-01", BulletinConfig().sections)
    assert [(e.document_id, e.source_id) for e in entries["industry"]] == [(ids[2], "deepseek-news")]
