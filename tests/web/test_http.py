"""The web app over HTTP (FastAPI TestClient): login, sessions, CSRF, roles, inert crawled text,
the sandboxed archive, decisions and the bulletin downloads."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from urllib.parse import unquote

import docx
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from crawler.storage import db
from crawler.storage.models import Document, DocumentVersion, TriageState
from editorial import triage
from tests.web import sample
from tests.web.conftest import csrf_of, login


def _state(config, document_id: int) -> TriageState:
    with db.open_session(config.database_url) as session:
        return session.get(TriageState, document_id)


def test_pages_redirect_to_login_without_a_session(app):
    with TestClient(app) as client:
        for path in ("/queue", "/items/1", "/export", "/sources", "/add"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


def test_wrong_password_is_refused(app):
    with TestClient(app) as client:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"name": "editor", "password": "wrong", "csrf_token": token})
        assert response.status_code == 401
        assert client.get("/queue", follow_redirects=False).status_code == 303


def test_session_cookie_is_signed_httponly_and_samesite_lax(app):
    with TestClient(app) as client:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"name": "editor", "password": sample.PASSWORD, "csrf_token": token},
                               follow_redirects=False)
        cookie = response.headers["set-cookie"].lower()
        assert "regwatch_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        forged = TestClient(app)
        forged.cookies.set("regwatch_session", "eyJ1c2VyIjogImVkaXRvciJ9.forged.signature")
        assert forged.get("/queue", follow_redirects=False).status_code == 303


def test_login_post_without_csrf_token_is_rejected(app):
    with TestClient(app) as client:
        client.get("/login")
        response = client.post("/login", data={"name": "editor", "password": sample.PASSWORD})
        assert response.status_code == 403


def test_decision_without_or_with_a_wrong_csrf_token_is_rejected(editor, web_config, ids):
    item = ids["cac"]
    for token in (None, "not-the-token"):
        data = {"ids": item, "action": "reject", "reason": "off topic"}
        if token:
            data["csrf_token"] = token
        assert editor.post("/decide", data=data).status_code == 403
        assert editor.post("/decide", data={"ids": item, "action": "reject"},
                           headers={"X-CSRF-Token": token or ""}).status_code == 403
    assert _state(web_config, item).status == "new"


def test_viewer_gets_403_on_every_change(viewer, web_config, ids):
    item = ids["cac"]
    token = viewer.csrf
    changes = [
        ("/decide", {"ids": item, "action": "accept", "month": "2025-01", "section": "law"}),
        ("/decide", {"ids": item, "action": "reject", "reason": "x"}),
        (f"/items/{item}/note", {"text": "a note"}),
        (f"/items/{item}/editorial", {"title": "标题", "summary": "摘要"}),
        ("/add", {"url": "https://example.org/page"}),
    ]
    for path, data in changes:
        assert viewer.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert viewer.get("/add").status_code == 403
    assert _state(web_config, item).status == "new"
    page = viewer.get("/queue").text
    assert 'id="decide"' not in page and 'data-act="accept"' not in page


def test_editor_accepts_in_place_and_the_decision_is_an_event(editor, web_config, ids):
    item = ids["federal-register"]
    response = editor.post("/decide", data={"ids": item, "action": "accept", "month": "2025-01", "section": "law"},
                           headers={"X-CSRF-Token": editor.csrf, "Accept": "application/json"})
    assert response.status_code == 200 and response.json() == {"ok": True, "ids": [item], "status": "accepted",
                                                               "action": "accept"}
    state = _state(web_config, item)
    assert (state.status, state.bulletin_month, state.section) == ("accepted", "2025-01", "law")
    with db.open_session(web_config.database_url) as session:
        events = triage.history(session, item)
    assert any(e.action == "accept" and e.actor == "editor" for e in events)
    assert "editor" in editor.get(f"/items/{item}").text


def test_invalid_section_is_a_clear_400_not_a_crash(editor, ids):
    response = editor.post("/decide", data={"ids": ids["cac"], "action": "accept", "month": "2025-01",
                                            "section": "nonsense", "csrf_token": editor.csrf})
    assert response.status_code == 400


def test_hostile_title_summary_and_link_are_shown_as_text(editor, ids):
    queue = editor.get("/queue").text
    item = editor.get(f"/items/{ids['whitehouse']}").text
    for page in (queue, item):
        assert "<script>document.body" not in page and "<img src=x" not in page
        assert "&lt;script&gt;document.body.dataset.pwned=" in page
        assert 'href="javascript:' not in page.lower()
    assert "&lt;b&gt;Hostile&lt;/b&gt; Authority" in item
    assert "javascript:document.body.dataset.pwned=&#39;link&#39;</code>" in item
    assert "&amp;amp;" in item  # an entity in a title stays the literal text it was


def test_pages_forbid_inline_scripts(editor):
    policy = editor.get("/queue").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_archived_copy_is_served_sandboxed(editor, ids):
    response = editor.get(f"/items/{ids['whitehouse']}/archive/1")
    assert response.status_code == 200 and b"Archived copy" in response.content
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert 'sandbox=""' in editor.get(f"/items/{ids['whitehouse']}").text


def test_archive_endpoint_cannot_read_outside_the_archive_dir(editor, web_config, ids):
    item = ids["cac"]
    outside = web_config.base_dir / "secret.txt"
    outside.write_text("not evidence")
    link = web_config.archive_dir / "link.warc.gz"
    os.symlink(outside, link)
    for escape in ("../secret.txt", str(outside), "../../../../etc/passwd", "link.warc.gz"):
        with db.open_session(web_config.database_url) as session:
            session.execute(update(DocumentVersion).where(DocumentVersion.document_id == item)
                            .values(warc_file=escape, warc_offset=0))
            session.commit()
        response = editor.get(f"/items/{item}/archive/1")
        assert response.status_code == 404, escape
        assert b"not evidence" not in response.content and b"root:" not in response.content
    assert editor.get(f"/items/{item}/archive/99").status_code == 404


def test_item_page_shows_versions_diff_and_identifiers(editor, ids):
    page = editor.get(f"/items/{ids['cac']}").text
    assert "国信办通字〔2025〕2号" in page and "版本 2" in page
    assert '<span class="add">+ ' in page and "<b>维护社会公共利益，</b>" in page


def test_language_is_remembered_per_user(app, editor):
    assert "待审队列" in editor.get("/queue").text
    editor.post("/language", data={"lang": "en", "csrf_token": editor.csrf, "next": "/queue"})
    assert "Queue" in editor.get("/queue").text
    with TestClient(app) as again:
        login(again, "editor")
        assert "Full-text search" in again.get("/queue").text
    with TestClient(app) as other:
        login(other, "viewer")
        assert "全文搜索" in other.get("/queue").text


def test_redirect_after_post_stays_on_this_site(editor, ids):
    until = (date.today() + timedelta(days=7)).isoformat()
    response = editor.post("/decide", data={"ids": ids["miit"], "action": "snooze", "until": until,
                                            "next": "//evil.example/", "csrf_token": editor.csrf},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/queue"


def test_month_export_downloads_markdown_and_docx(editor, ids):
    for source, section in (("cac", "law"), ("deepseek-news", "industry"), ("federal-register", "law")):
        editor.post("/decide", data={"ids": ids[source], "action": "accept", "month": "2025-01", "section": section,
                                     "csrf_token": editor.csrf})
    markdown = editor.get("/export/2025-01.md")
    assert markdown.status_code == 200 and "attachment" in markdown.headers["content-disposition"]
    text = markdown.content.decode("utf-8")
    assert "导读" in text and "人工智能生成合成内容标识办法" in text and "2025 年 1 月 14 日" in text
    law = text[text.index("法律与监管动态"):text.index("行业动态")]
    assert law.index("人工智能生成合成内容标识办法") < law.index("Removing Barriers")  # Jan 14, then Jan 23
    document = docx.Document(io.BytesIO(editor.get("/export/2025-01.docx").content))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "DeepSeek-R1" in paragraphs and "发布日期" in paragraphs
    assert editor.get("/export/2025-13.md").status_code == 400


def test_the_service_serves_the_app_beside_the_scheduler(web_config):
    import socket
    import urllib.request

    from regwatch.web_server import WebServer, web_available

    assert web_available()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = WebServer(web_config, "127.0.0.1", port)
    server.start()
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    assert response.status == 200 and "登录" in response.read().decode("utf-8")
                    break
            except OSError:
                import time

                time.sleep(0.05)
        else:
            raise AssertionError("the web app did not answer")
    finally:
        server.stop()


def test_queue_search_decisions_and_export_on_both_databases(tmp_path, database_url):
    from crawler.config import load_config
    from web.app import create_app

    config = load_config(sample.sample_config(tmp_path))
    config.storage.url = database_url
    with db.open_session(config.database_url) as session:
        ids = sample.build(session, config)
    with TestClient(create_app(config)) as client:
        client.csrf = login(client, "editor")
        found = client.get("/queue", params={"q": "标识", "status": "all"}).text
        assert f'data-id="{ids["cac"]}"' in found and f'data-id="{ids["deepseek-news"]}"' not in found
        response = client.post("/decide", data={"ids": [ids["cac"], ids["miit"]], "action": "accept",
                                                "month": "2025-01", "section": "law", "csrf_token": client.csrf})
        assert response.status_code == 200
        accepted = client.get("/queue", params={"status": "accepted"}).text
        assert f'data-id="{ids["miit"]}"' in accepted
        assert 'data-status-tab="accepted">已采用 <span class="count">2<' in accepted
        markdown = client.get("/export/2025-01.md").content.decode("utf-8")
        assert "工业和信息化部关于印发《人工智能产业标准化体系建设指南》的通知" in markdown


def test_sources_page_shows_health_runs_and_errors(editor, web_config):
    from crawler.storage import runs

    with db.open_session(web_config.database_url) as session:
        run_id = runs.start_run(session, "cac")
        runs.record_error(session, run_id, "blocked", "page is a captcha challenge <script>x</script>",
                          "https://www.cac.gov.cn/list.htm")
        runs.finish_run(session, run_id, "blocked", {"requests": 1})
    page = editor.get("/sources").text
    assert "blocked: page is a captcha challenge &lt;script&gt;x&lt;/script&gt;" in page
    assert "https://www.cac.gov.cn/list.htm" in page and "federal-register" in page
    assert 'class="badge health' in page


def test_a_source_living_on_the_generic_reader_is_degraded_and_its_items_are_marked(editor, web_config, ids):
    from crawler.storage import runs
    from crawler.storage.models import Document

    with db.open_session(web_config.database_url) as session:
        run_id = runs.start_run(session, "cac")
        runs.record_warning(session, run_id, "selector_missed", "document page without h1.title; read by the "
                            "generic reader", "https://www.cac.gov.cn/2025-01/14/c_1738000000000001.htm")
        runs.finish_run(session, run_id, "ok", {"requests": 2, "items_parsed": 1, "items_generic": 1})
        session.execute(update(Document).where(Document.id == ids["cac"]).values(extraction="generic"))
        session.commit()
    page = editor.get("/sources").text
    assert '<span class="badge health degraded">' in page
    assert "selector_missed: document page without h1.title" in page and "1 条由通用解析读取" in page
    assert '<span class="badge generic"' in editor.get(f"/items/{ids['cac']}").text
    assert '<span class="badge generic"' not in editor.get(f"/items/{ids['federal-register']}").text


def test_add_by_url_reports_a_page_that_cannot_be_fetched(editor, web_config, site):
    web_config.web.allow_private_urls = True  # the app's config: the loopback server stands in for the web
    response = editor.post("/add", data={"url": site.base + "/gone.html", "csrf_token": editor.csrf})
    assert response.status_code == 422 and 'id="add-error"' in response.text
    assert "404" in response.text and 'id="add-refused"' not in response.text
    refused = editor.post("/add", data={"url": "javascript:alert(1)", "csrf_token": editor.csrf})
    assert refused.status_code == 400 and "只接受 http(s) 链接" in refused.text


def test_add_by_url_refuses_an_address_inside_the_network_and_says_why(editor, web_config, site):
    site.serve("/admin.html", "<title>internal</title>")
    for url, why in ((site.base + "/admin.html", "127.0.0.1 is a loopback address"),
                     ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
                     ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is a private address")):
        response = editor.post("/add", data={"url": url, "csrf_token": editor.csrf})
        assert response.status_code == 422, url
        assert why in response.text and url in response.text and 'id="add-refused"' in response.text
        assert "web.allow_private_urls" in response.text
    assert site.requests == []
    with db.open_session(web_config.database_url) as session:
        assert session.scalars(select(Document).where(Document.source_id == "added")).all() == []


def test_language_picked_on_the_login_page_sticks_to_the_user(app):
    with TestClient(app) as client:
        client.get("/login", params={"lang": "en"})
        login(client, "viewer")
        assert "Full-text search" in client.get("/queue").text


def test_item_forms_note_editorial_assign_snooze_reopen_are_all_in_the_history(editor, web_config, ids):
    item, token = ids["ec-ai-office"], editor.csrf
    until = (date.today() + timedelta(days=3)).isoformat()
    editor.post(f"/items/{item}/note", data={"text": "check the <b>annex</b>", "csrf_token": token})
    editorial = {"title": "欧盟发布禁止性人工智能实践指南", "summary": "指南解释了《人工智能法》的禁止性规定。"}
    editor.post(f"/items/{item}/editorial", data={**editorial, "csrf_token": token})
    decisions = ({"action": "assign", "assignee": "viewer"}, {"action": "snooze", "until": until}, {"action": "reopen"})
    for data in decisions:
        assert editor.post("/decide", data={"ids": item, "csrf_token": token, **data}).status_code == 200
    page = editor.get(f"/items/{item}").text
    assert "check the &lt;b&gt;annex&lt;/b&gt;" in page and "欧盟发布禁止性人工智能实践指南" in page
    history = page[page.index('class="history"'):]
    for action in ("备注", "编辑稿", "指派", "暂缓", "重新打开"):
        assert action in history, action
    state = _state(web_config, item)
    assert (state.status, state.assignee, state.editorial_title) == ("new", "viewer", "欧盟发布禁止性人工智能实践指南")


def test_login_returns_to_the_page_asked_for(app):
    with TestClient(app) as client:
        asked = client.get("/queue?status=all&q=标识", follow_redirects=False).headers["location"]
        page = client.get(asked).text
        token, target = csrf_of(page), page.split('name="next" value="')[1].split('"')[0]
        response = client.post("/login", data={"name": "viewer", "password": sample.PASSWORD, "csrf_token": token,
                                               "next": target.replace("&amp;", "&")}, follow_redirects=False)
        assert unquote(response.headers["location"]) == "/queue?status=all&q=标识"
