"""The item page's bulletin draft: shown beside the source, "use draft" into the editorial form,
"draft now" through the model endpoint (a loopback server), and the export's unreviewed mark."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from crawler.config import DraftingConfig
from crawler.storage import db
from crawler.storage.models import Document
from editorial import triage
from editorial.drafts import DraftText, get_draft, save_draft
from tests.model_server import ModelServer, draft_reply, error_reply
from tests.web.conftest import csrf_of, login

TITLE = "美国白宫（特朗普当局）发布《消除美国在人工智能领域领导地位的障碍》的行政命令"
SUMMARY = "2025年1月23日，美国总统签署行政命令，撤销第14110号行政命令。\n命令要求在180天内制定人工智能行动计划。"


def _store_draft(config, item_id: int) -> None:
    with db.open_session(config.database_url) as session:
        save_draft(session, session.get(Document, item_id),
                   DraftText(TITLE, SUMMARY, "model", "qwen2.5:7b-instruct", "zh-2026-12.1"), "regwatch-service")
        triage.accept(session, [item_id], "editor", "2025-01", "law")
        session.commit()


def _state_and_draft(config, item_id: int):
    with db.open_session(config.database_url) as session:
        return triage.item_detail(session, item_id).state, get_draft(session, item_id)


@pytest.fixture
def model():
    with ModelServer() as running:
        running.answer(draft_reply(TITLE, SUMMARY))
        yield running


@pytest.fixture
def model_editor(web_config, model):
    """An editor's client of an app whose drafting asks the loopback model."""
    from web.app import create_app

    web_config.drafting = DraftingConfig(endpoint=model.endpoint, model="qwen2.5:7b-instruct", timeout_s=5)
    with TestClient(create_app(web_config)) as client:
        client.csrf = login(client, "editor")
        yield client


def test_item_page_shows_the_draft_and_use_draft_fills_the_editorial_form_for_the_editor_to_save(
        editor, web_config, ids):
    item = ids["federal-register"]
    _store_draft(web_config, item)
    page = editor.get(f"/items/{item}").text
    assert f'id="draft-title">{html.escape(TITLE)}<' in page and "命令要求在180天内制定人工智能行动计划。" in page
    assert "模型 qwen2.5:7b-instruct · 提示词 zh-2026-12.1" in page
    assert '<input name="title" value="">' in page and 'id="draft-in-form"' not in page
    filled = editor.get(f"/items/{item}", params={"use_draft": "1"}).text
    assert f'<input name="title" value="{html.escape(TITLE)}">' in filled and 'id="draft-in-form"' in filled
    assert f'<textarea name="summary" rows="6">{html.escape(SUMMARY)}</textarea>' in filled
    edited = TITLE.replace("行政命令", "总统行政令")
    saved = editor.post(f"/items/{item}/editorial", data={"title": edited, "summary": SUMMARY,
                                                          "csrf_token": csrf_of(filled)}, follow_redirects=False)
    assert saved.status_code == 303
    state, draft = _state_and_draft(web_config, item)
    assert (state.editorial_title, state.editorial_summary, draft.title) == (edited, SUMMARY, TITLE)
    assert "已有编辑稿：月报使用编辑稿，草稿不会覆盖它。" in editor.get(f"/items/{item}").text


def test_export_marks_an_unreviewed_draft_until_the_editor_saves_text(editor, web_config, ids):
    item = ids["federal-register"]
    _store_draft(web_config, item)
    assert f"1. 〔草稿〕{TITLE}\n" in editor.get("/export/2025-01.md").text
    assert 'class="badge draft"' in editor.get("/export", params={"month": "2025-01"}).text
    with db.open_session(web_config.database_url) as session:
        triage.set_editorial(session, item, "editor", "编辑定稿标题", "编辑定稿摘要。")
        session.commit()
    markdown = editor.get("/export/2025-01.md").text
    assert "1. 编辑定稿标题\n" in markdown and "〔草稿〕" not in markdown


def test_draft_now_asks_the_model_and_never_overwrites_editor_text(model_editor, model, web_config, ids):
    item = ids["cac"]
    page = model_editor.get(f"/items/{item}").text
    assert "尚无草稿。" in page and 'id="draft-now"' in page
    with db.open_session(web_config.database_url) as session:
        triage.set_editorial(session, item, "editor", "编辑标题", "编辑摘要。")
        session.commit()
    response = model_editor.post(f"/items/{item}/draft", data={"csrf_token": model_editor.csrf},
                                 follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/items/{item}#draft"
    [request] = model.requests
    assert "人工智能生成合成内容标识" in request.body["messages"][1]["content"]
    state, draft = _state_and_draft(web_config, item)
    assert (draft.title, draft.kind, draft.created_by) == (TITLE, "model", "editor")
    assert (state.editorial_title, state.editorial_summary) == ("编辑标题", "编辑摘要。")


def test_draft_now_failure_shows_the_error_naming_item_and_endpoint(model_editor, model, web_config, ids):
    item = ids["cac"]
    model.answer(error_reply(503, "model is loading"))
    response = model_editor.post(f"/items/{item}/draft", data={"csrf_token": model_editor.csrf})
    assert response.status_code == 502
    assert f"item {item}: HTTP 503 from the endpoint: model is loading" in response.text
    assert f"{model.endpoint}/chat/completions" in response.text
    assert _state_and_draft(web_config, item)[1] is None


def test_draft_now_needs_the_csrf_token_and_an_editor(editor, viewer, web_config, ids):
    item = ids["cac"]
    assert editor.post(f"/items/{item}/draft", data={}).status_code == 403
    assert viewer.post(f"/items/{item}/draft", data={"csrf_token": viewer.csrf}).status_code == 403
    assert _state_and_draft(web_config, item)[1] is None
    assert 'id="draft-now"' not in viewer.get(f"/items/{item}").text


def test_draft_now_without_an_endpoint_makes_an_extractive_draft(editor, web_config, ids):
    item = ids["cac"]
    response = editor.post(f"/items/{item}/draft", data={"csrf_token": editor.csrf}, follow_redirects=False)
    assert response.status_code == 303
    draft = _state_and_draft(web_config, item)[1]
    assert draft.kind == "extractive" and draft.title.startswith("国家互联网信息办公室关于发布")
    assert "摘取原文开头（未配置模型）" in editor.get(f"/items/{item}").text


def test_draft_of_a_document_that_changed_since_is_flagged(editor, web_config, ids):
    item = ids["federal-register"]
    _store_draft(web_config, item)
    assert 'id="draft-stale"' not in editor.get(f"/items/{item}").text
    with db.open_session(web_config.database_url) as session:
        session.get(Document, item).content_hash = "0" * 64  # what a new version of the document does
        session.commit()
    assert 'id="draft-stale"' in editor.get(f"/items/{item}").text
