"""Bulletin drafts: the request to an OpenAI-compatible endpoint (a loopback server), the stored
draft, `regwatch draft`, the export's order (editor > draft > source) and mark, the error cases,
the key's secrecy, extractive drafts without a model, and the service's background pass."""

from __future__ import annotations

import io
import json
import logging
import shutil
from datetime import date
from pathlib import Path

import docx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from crawler.config import Config, DraftingConfig, SourceConfig
from crawler.errors import ConfigError
from crawler.storage import db, runs
from crawler.storage.db import get_engine
from crawler.storage.models import TriageEvent
from editorial import bulletin, triage
from editorial.drafting import Drafter, DraftFailed, draft_items
from editorial.drafting.client import completions_url, shown_endpoint
from editorial.drafting.extractive import extractive_draft
from editorial.drafting.prompt import load_prompt
from editorial.drafts import Draft, accepted_without_draft, get_draft
from scheduler import drafting_job
from tests.conftest import regwatch, write_config
from tests.loopback import Reply
from tests.model_server import ModelServer, completion, draft_reply, error_reply
from tests.triage_items import SOURCES, item, open_store, store

KEY = "sk-regwatch-test-7d2b4c63a8e15f1c0a9e"
MODEL = "qwen2.5:7b-instruct"
GARANTE = SourceConfig(id="garante", spider="feed", jurisdiction="IT", category="law_regulation",
                       urls={"feed": "https://www.garanteprivacy.it/home/rss"})
GARANTE_TEXT = ("Il Garante per la protezione dei dati personali ha inflitto a OpenAI una sanzione di 15 milioni "
                "di euro per il trattamento dei dati degli utenti di ChatGPT senza un'adeguata base giuridica. "
                "La società dovrà inoltre realizzare una campagna di comunicazione istituzionale di sei mesi "
                "su radio, televisione, giornali e Internet.")
DRAFT_TITLE = "意大利数据保护局（Garante）对OpenAI处以1500万欧元罚款"
DRAFT_SUMMARY = ("2024年12月20日，意大利数据保护局认定OpenAI在缺乏适当法律依据的情况下处理ChatGPT用户的个人数据，"
                 "对其处以1500万欧元罚款。\n数据保护局同时命令OpenAI开展为期六个月的宣传活动。")


@pytest.fixture
def server():
    with ModelServer() as running:
        running.answer(draft_reply(DRAFT_TITLE, DRAFT_SUMMARY))
        yield running


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> Path:
    """A migrated database with the sources, made once and copied for each test."""
    path = tmp_path_factory.mktemp("drafting") / "regwatch.db"
    session = open_store(f"sqlite:///{path}")
    runs.sync_sources(session, [*SOURCES, GARANTE])
    session.close()
    get_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def session(tmp_path, empty_store):
    shutil.copy(empty_store, tmp_path / "regwatch.db")
    session = db.open_session(f"sqlite:///{tmp_path / 'regwatch.db'}")
    yield session
    session.close()


def garante_item(url: str = "https://www.garanteprivacy.it/home/docweb/-/docweb-display/docweb/10085455"):
    return item("garante", url, "ChatGPT, il Garante privacy sanziona OpenAI per 15 milioni di euro",
                date(2024, 12, 20), authority="Garante per la protezione dei dati personali", jurisdiction="IT",
                doc_type="press_release", language="it", text=GARANTE_TEXT, summary="",
                identifiers={"docweb": "10085455"}, dates={"comment_deadline": date(2025, 1, 31)})


def accepted(session, *items, month: str = "2025-01") -> list[int]:
    ids = store(session, *items)
    triage.accept(session, ids, "li", month, "law")
    session.commit()
    return ids


def config_for(tmp_path: Path, endpoint: str | None = None, **drafting) -> Config:
    settings = {"endpoint": endpoint, "model": MODEL if endpoint else None, "api_key": SecretStr(KEY), **drafting}
    return Config(storage={"url": f"sqlite:///{tmp_path / 'regwatch.db'}"}, drafting=DraftingConfig(**settings),
                  path=tmp_path / "config.yaml")


# --- the request and the stored draft -------------------------------------------------------------
def test_model_request_carries_the_prompt_the_items_public_text_and_asks_for_a_json_object(tmp_path, session,
                                                                                             server):
    [item_id] = accepted(session, garante_item())
    Drafter(config_for(tmp_path, server.endpoint)).draft(session, item_id, "li")
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.body
    assert (body["model"], body["response_format"], body["temperature"]) == (MODEL, {"type": "json_object"}, 0.2)
    system, user = body["messages"]
    assert system["role"] == "system" and "意大利数据保护局（Garante）对OpenAI处以1500万欧元罚款" in system["content"]
    assert "600" in system["content"] and "{max_chars}" not in system["content"]
    assert user["role"] == "user"
    for fact in (GARANTE_TEXT, "标题：ChatGPT, il Garante privacy sanziona OpenAI per 15 milioni di euro",
                 "发布机构：Garante per la protezione dei dati personali", "文件类型：press_release",
                 "发布日期：2024-12-20", "意见征集截止日期：2025-01-31", "docweb: 10085455", "原文语言：it",
                 "链接：https://www.garanteprivacy.it/home/docweb/-/docweb-display/docweb/10085455"):
        assert fact in user["content"]
    assert "li" not in user["content"].split("\n")  # no member names, notes or decisions are sent


def test_model_draft_is_stored_with_model_prompt_version_and_time_and_leaves_editor_text_alone(tmp_path, session,
                                                                                                 server):
    [item_id] = accepted(session, garante_item())
    triage.set_editorial(session, item_id, "li", "编辑写的标题", None)
    session.commit()
    [outcome] = draft_items(session, Drafter(config_for(tmp_path, server.endpoint)), [item_id], "li")
    assert outcome.error is None
    stored = get_draft(session, item_id)
    assert (stored.title, stored.summary, stored.kind, stored.model) == (DRAFT_TITLE, DRAFT_SUMMARY, "model", MODEL)
    assert stored.prompt_version == load_prompt(DraftingConfig(), tmp_path).version == "zh-2026-12.1"
    assert stored.created_at.tzinfo is not None and stored.created_by == "li"
    state = triage.item_detail(session, item_id).state
    assert (state.editorial_title, state.editorial_summary) == ("编辑写的标题", None)
    assert [e.action for e in triage.history(session, item_id)][-1] == "draft"


def test_reply_in_a_json_code_fence_after_a_reasoning_block_is_read(tmp_path, session, server):
    [item_id] = accepted(session, garante_item())
    content = ("<think>The user wants a title.</think>\n```json\n"
               + json.dumps({"title": DRAFT_TITLE, "summary": "第一段。\n\n第二段。"}, ensure_ascii=False) + "\n```")
    server.answer(completion(content))
    draft = Drafter(config_for(tmp_path, server.endpoint)).draft(session, item_id, "li")
    assert (draft.title, draft.summary) == (DRAFT_TITLE, "第一段。\n第二段。")


def test_a_groups_own_prompt_file_is_sent_and_its_version_stored(tmp_path, session, server):
    [item_id] = accepted(session, garante_item())
    (tmp_path / "house.md").write_text("<!-- prompt-version: house-3 -->\n只输出 JSON：{\"title\", \"summary\"}，"
                                       "摘要不超过 {max_chars} 字。\n", encoding="utf-8")
    draft = Drafter(config_for(tmp_path, server.endpoint, prompt="house.md", max_chars=300)).draft(session, item_id,
                                                                                                  "li")
    assert draft.prompt_version == "house-3"
    assert server.requests[0].body["messages"][0]["content"] == '只输出 JSON：{"title", "summary"}，摘要不超过 300 字。'
    (tmp_path / "house.md").write_text("只输出 JSON。\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="first line must be 'prompt-version: NAME'"):
        Drafter(config_for(tmp_path, server.endpoint, prompt="house.md"))


@pytest.mark.parametrize(("endpoint", "url"), [
    ("http://localhost:11434", "http://localhost:11434/v1/chat/completions"),
    ("http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions"),
    ("http://localhost:8000/v1/", "http://localhost:8000/v1/chat/completions"),
    ("https://dashscope.aliyuncs.com/compatible-mode/v1",
     "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions"),
    ("https://api.deepseek.com/chat/completions", "https://api.deepseek.com/chat/completions"),
])
def test_endpoint_is_read_as_a_base_url_with_or_without_v1(endpoint, url):
    assert completions_url(endpoint) == url


def test_endpoint_shown_in_messages_has_no_credentials():
    assert shown_endpoint("https://bob:hunter2@llm.example.org:8443/v1/chat/completions?key=abc") == (
        "https://llm.example.org:8443/v1/chat/completions")


# --- the error cases: each names the item and the endpoint, and nothing stored changes --------------
ERRORS = {
    "not_json": (completion("标题：意大利罚款OpenAI"), "not a JSON object"),
    "json_without_fields": (completion('{"headline": "x"}'), 'not {"title": …, "summary": …}'),
    "empty": (completion("   "), "reply is empty"),
    "empty_summary": (draft_reply(DRAFT_TITLE, " "), "empty summary"),
    "over_long_summary": (draft_reply(DRAFT_TITLE, "罚" * 601),
                          "摘要 is 601 characters, over drafting.max_chars = 600"),
    "over_long_title": (draft_reply("标" * 121, DRAFT_SUMMARY), "title is 121 characters"),
    "cut_off": (completion('{"title": "意大利', finish_reason="length"), "cut off"),
    "not_a_completion": (Reply(200, b"<html>proxy login</html>", {"Content-Type": "text/html"}),
                         "not a chat completion"),
    "server_error": (error_reply(500, "model runner crashed"), "HTTP 500 from the endpoint: model runner crashed"),
    "unauthorized": (error_reply(401, f"Incorrect API key provided: {KEY}"), "HTTP 401"),
    "rate_limited": (error_reply(429, "slow down", {"Retry-After": "3600"}), "retry after"),
    "timeout": (Reply(200, b"{}", {"Content-Type": "application/json"}, delay_s=1.5), "no reply within"),
    "redirect": (Reply(301, b"", {"Location": "https://llm.example.org/v1/chat/completions"}),
                 "redirects to https://llm.example.org/v1/chat/completions"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_failed_draft_is_a_clear_error_naming_item_and_endpoint_and_keeps_the_earlier_draft(case, tmp_path,
                                                                                            session, server):
    [item_id] = accepted(session, garante_item())
    config = config_for(tmp_path, server.endpoint, timeout_s=0.5)
    server.answer(draft_reply("旧草稿标题", "旧草稿摘要。"))
    Drafter(config).draft(session, item_id, "li")
    session.commit()
    reply, expected = ERRORS[case]
    server.answer(reply)
    [outcome] = draft_items(session, Drafter(config), [item_id], "li")
    error = outcome.error
    assert isinstance(error, DraftFailed) and expected in str(error)
    assert str(error).startswith(f"item {item_id}: ")
    assert str(error).endswith(f"({server.endpoint}/chat/completions)")
    assert KEY not in str(error)
    session.expire_all()
    assert (get_draft(session, item_id).title, get_draft(session, item_id).summary) == ("旧草稿标题", "旧草稿摘要。")
    assert [e.action for e in triage.history(session, item_id)].count("draft") == 1


def test_rate_limit_beyond_the_timeout_says_when_to_retry_and_does_not_wait(tmp_path, session, server):
    [item_id] = accepted(session, garante_item())
    server.answer(error_reply(429, "slow down", {"Retry-After": "120"}))
    when = r"retry after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 120 s\)"
    with pytest.raises(DraftFailed, match=f"rate limiting; {when}"):
        Drafter(config_for(tmp_path, server.endpoint, timeout_s=5)).draft(session, item_id, "li")
    assert len(server.requests) == 1


def test_rate_limit_within_the_timeout_is_retried_once_after_retry_after(tmp_path, session, server):
    [item_id] = accepted(session, garante_item())
    server.answer(error_reply(429, "slow down", {"Retry-After": "1"}), draft_reply(DRAFT_TITLE, DRAFT_SUMMARY))
    waits: list[float] = []
    drafter = Drafter(config_for(tmp_path, server.endpoint, timeout_s=5), sleep=waits.append)
    assert drafter.draft(session, item_id, "li").title == DRAFT_TITLE
    assert waits == [1.0] and len(server.requests) == 2


def test_one_failed_item_does_not_stop_the_others(tmp_path, session, server):
    first, second = accepted(session, garante_item(), garante_item("https://www.garanteprivacy.it/docweb/2"))
    server.answer(error_reply(500, "out of memory"), draft_reply(DRAFT_TITLE, DRAFT_SUMMARY))
    outcomes = draft_items(session, Drafter(config_for(tmp_path, server.endpoint)), [first, second], "li")
    assert [o.error is None for o in outcomes] == [False, True]
    assert get_draft(session, first) is None and get_draft(session, second).title == DRAFT_TITLE


# --- extractive drafts, without an endpoint --------------------------------------------------------
def test_extractive_draft_takes_english_lead_sentences_within_max_chars():
    text = ("The U.S. Department of Commerce issued an interim final rule on Jan. 13, 2025. It controls the "
            "export of AI model weights. Comments are due by May 15, 2025.")
    title, summary = extractive_draft("Framework for Artificial Intelligence Diffusion", "", text, "en", 130, 120)
    assert title == "Framework for Artificial Intelligence Diffusion"
    assert summary == ("The U.S. Department of Commerce issued an interim final rule on Jan. 13, 2025. "
                       "It controls the export of AI model weights.")


def test_extractive_draft_splits_chinese_sentences_at_their_own_punctuation():
    text = "为了促进人工智能健康发展，制定本办法。本办法自2025年9月1日起施行！服务提供者是否应当标识？应当。"
    _, summary = extractive_draft("人工智能生成合成内容标识办法", "", text, None, 40, 120)
    assert summary == "为了促进人工智能健康发展，制定本办法。本办法自2025年9月1日起施行！"
    _, shorter = extractive_draft("标题", "", text, "zh-CN", 12, 120)
    assert shorter == "为了促进人工智能健康发…"


def test_extractive_draft_prefers_the_sources_abstract_to_a_text_of_headers():
    abstract = ("In this interim final rule, BIS revises the controls on advanced computing chips. "
                "It adds a control on the model weights of advanced AI models.")
    _, summary = extractive_draft("Framework", abstract, "AGENCY: BIS. ACTION: Interim final rule.", "en", 600, 120)
    assert summary == abstract


def test_without_an_endpoint_drafts_are_extractive_and_say_so(tmp_path, session, server):
    [item_id] = accepted(session, garante_item())
    draft = Drafter(config_for(tmp_path, None, max_chars=100)).draft(session, item_id, "li")
    assert (draft.kind, draft.model, draft.prompt_version) == ("extractive", None, None)
    assert draft.title == "ChatGPT, il Garante privacy sanziona OpenAI per 15 milioni di euro"
    assert draft.summary == ("Il Garante per la protezione dei dati personali ha inflitto a OpenAI una sanzione "
                             "di 15 milioni di…")
    assert server.requests == []


# --- the export: editor > draft > source, and the unreviewed mark ------------------------------------
def test_export_uses_editor_text_then_draft_then_source_and_marks_unreviewed_drafts(tmp_path, database_url):
    session = open_store(database_url)
    edited, drafted, plain = accepted(
        session, item("cac", "https://cac.example/1", "Source title one", date(2025, 1, 5), summary="Source one."),
        item("cac", "https://cac.example/2", "Source title two", date(2025, 1, 6), summary="Source two."),
        item("cac", "https://cac.example/3", "Source title three", date(2025, 1, 7), summary="Source three."))
    server_free = Config(path=tmp_path / "config.yaml")
    for item_id in (edited, drafted):
        Drafter(server_free).draft(session, item_id, "li")
    session.commit()
    assert accepted_without_draft(session, month="2025-01") == [plain]
    triage.set_editorial(session, edited, "li", "编辑标题", "编辑摘要第一段。\n编辑摘要第二段。")
    session.execute(select(Draft).where(Draft.document_id == drafted)).scalar_one().title = "草稿标题"
    session.commit()
    entries = bulletin.bulletin_entries(session, "2025-01", Config().bulletin.sections)
    session.close()
    assert [(e.title, e.from_draft) for e in entries["law"]] == [("编辑标题", False), ("草稿标题", True),
                                                                 ("Source title three", False)]
    text = bulletin.render_markdown(entries, "2025-01", Config().bulletin.sections)
    assert "1. 编辑标题\n2. 〔草稿〕草稿标题\n3. Source title three\n" in text
    assert "### 2. 〔草稿〕草稿标题\n" in text and "摘要：编辑摘要第一段。\n\n编辑摘要第二段。\n" in text
    assert "摘要：Source two.\n" in text and "摘要：Source three.\n" in text
    unmarked = bulletin.render_markdown(entries, "2025-01", Config().bulletin.sections, mark=None)
    assert "〔草稿〕" not in unmarked and "2. 草稿标题\n" in unmarked
    document = docx.Document(io.BytesIO(bulletin.render_docx(entries, "2025-01", Config().bulletin.sections)))
    paragraphs = [p.text for p in document.paragraphs]
    assert "2. 〔草稿〕草稿标题" in paragraphs and "1. 编辑标题" in paragraphs
    assert paragraphs[paragraphs.index("摘要：编辑摘要第一段。") + 1] == "编辑摘要第二段。"


# --- the command, the key's secrecy -----------------------------------------------------------------
def _cli_config(tmp_path: Path, server: ModelServer | None, **bulletin_settings) -> Path:
    drafting = {"endpoint": server.endpoint, "model": MODEL, "api_key": "${REGWATCH_TEST_MODEL_KEY}",
                "timeout_s": 5} if server else {}
    extra = {"bulletin": bulletin_settings} if bulletin_settings else {}
    return write_config(tmp_path, [], storage={"url": f"sqlite:///{tmp_path / 'regwatch.db'}"}, drafting=drafting,
                        **extra)


def test_regwatch_draft_month_prints_and_stores_drafts_and_the_key_is_never_written(tmp_path, session, server):
    ok, failing = accepted(session, garante_item(), garante_item("https://www.garanteprivacy.it/docweb/2"))
    accepted(session, garante_item("https://www.garanteprivacy.it/docweb/3"), month="2025-02")
    server.answer(draft_reply(DRAFT_TITLE, DRAFT_SUMMARY), error_reply(401, f"Incorrect API key provided: {KEY}"))
    path = _cli_config(tmp_path, server)
    shown = regwatch(path, "draft", "--month", "2025-01", env={"REGWATCH_TEST_MODEL_KEY": KEY})
    assert shown.returncode == 1, shown.stderr
    assert f"item {ok}  model {MODEL} · prompt zh-2026-12.1" in shown.stdout
    assert f"标题：{DRAFT_TITLE}" in shown.stdout
    assert "数据保护局同时命令OpenAI开展为期六个月的宣传活动。" in shown.stdout
    assert f"draft_failed: item {failing}: HTTP 401" in shown.stderr
    assert "drafted 1 of 2 items, 1 failed" in shown.stderr
    assert f"{server.endpoint}/chat/completions" in shown.stderr
    assert [r.headers["authorization"] for r in server.requests] == [f"Bearer {KEY}"] * 2
    server.answer(draft_reply(DRAFT_TITLE, DRAFT_SUMMARY))
    as_json = regwatch(path, "draft", str(ok), "--json", env={"REGWATCH_TEST_MODEL_KEY": KEY})
    assert as_json.returncode == 0
    [printed] = json.loads(as_json.stdout)
    assert (printed["item"], printed["title"], printed["kind"], printed["model"]) == (ok, DRAFT_TITLE, "model", MODEL)
    for output in (shown.stdout, shown.stderr, as_json.stdout, as_json.stderr):
        assert KEY not in output
    for file in tmp_path.rglob("*"):
        assert not file.is_file() or KEY.encode() not in file.read_bytes(), file


def test_regwatch_draft_without_an_endpoint_is_extractive_and_export_honours_the_mark_setting(tmp_path, session):
    [item_id] = accepted(session, garante_item())
    path = _cli_config(tmp_path, None, mark_unreviewed_drafts=False)
    drafted = regwatch(path, "draft", str(item_id))
    assert drafted.returncode == 0, drafted.stderr
    assert f"item {item_id}  extractive" in drafted.stdout and "摘要：Il Garante per la protezione" in drafted.stdout
    exported = regwatch(path, "export", "--month", "2025-01")
    assert "1. ChatGPT, il Garante privacy sanziona OpenAI per 15 milioni di euro\n" in exported.stdout
    assert "〔草稿〕" not in exported.stdout


# --- the service ------------------------------------------------------------------------------------
def test_service_tick_drafts_newly_accepted_items_in_the_background_and_logs_failures_without_the_key(
        tmp_path, session, server, caplog, monkeypatch):
    from scheduler.service import Service

    first, second = accepted(session, garante_item(), garante_item("https://www.garanteprivacy.it/docweb/2"))
    server.answer(draft_reply(DRAFT_TITLE, DRAFT_SUMMARY), error_reply(500, f"bad key {KEY}"))
    monkeypatch.setenv("REGWATCH_TEST_MODEL_KEY", KEY)
    service = Service(_cli_config(tmp_path, server))
    drafting_job.background = drafting_job.BackgroundDrafting()
    with caplog.at_level(logging.INFO, logger="scheduler.drafting_job"):
        service.tick()
        drafting_job.background.join(20)
    session.expire_all()
    assert get_draft(session, first).created_by == "regwatch-service" and get_draft(session, second) is None
    assert f"draft failed: item {second}: HTTP 500" in caplog.text and KEY not in caplog.text
    events = session.scalars(select(TriageEvent).where(TriageEvent.action == "draft")).all()
    assert [e.document_id for e in events] == [first]
    assert drafting_job.background.run_pass(service.sessions, service.config) == 0  # the failed one waits


def test_background_drafting_pauses_when_the_endpoint_rate_limits(tmp_path, session, server):
    accepted(session, garante_item(), garante_item("https://www.garanteprivacy.it/docweb/2"))
    server.answer(error_reply(429, "quota exceeded", {"Retry-After": "3600"}))
    config = config_for(tmp_path, server.endpoint)
    background = drafting_job.BackgroundDrafting()
    sessions = sessionmaker(get_engine(config.database_url), expire_on_commit=False)
    assert background.run_pass(sessions, config) == 0
    assert len(server.requests) == 1  # the second item waits with the first
    assert background.run_pass(sessions, config) == 0 and len(server.requests) == 1
