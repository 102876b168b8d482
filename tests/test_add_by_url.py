"""Add by URL: one fetch through the crawl pipeline (child process, WARC, store, queue) and
duplicate detection, against a loopback server, on both databases. The sites' URLs reach the
loopback server through the REGWATCH_MIRROR setting, with the outbound guard on (the mirror is the
administrator's server); a URL that is itself on loopback needs web.allow_private_urls (see
tests/test_outbound_guard.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.archive import read_record
from crawler.config import load_config
from crawler.middlewares import mirror_url
from crawler.storage import db, documents
from crawler.storage.models import Document
from editorial import triage
from editorial.add_by_url import AddFailed, add_by_url
from tests.conftest import regwatch, write_config
from tests.examples_harness import ROOT
from tests.loopback import Reply
from tests.triage_items import item, store

WECHAT_EXAMPLES = ROOT / "tests" / "examples" / "wechat"
ARTICLE_URL = "https://mp.weixin.qq.com/s/Xk2pR7mVw9LdQ3nHc5TbZA"
ARTICLE_TITLE = "杭州互联网法院审结涉生成式人工智能平台侵权案：平台应尽合理注意义务"
NOTICE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>关于开展生成式人工智能服务纠纷诉源治理工作的公告_北京互联网法院</title>
<meta name="description" content="北京互联网法院就生成式人工智能服务纠纷诉源治理工作发布公告。">
</head><body>
<div class="header"><a href="/">首页</a> <a href="/tzgg/">通知公告</a></div>
<div class="article">
<h1>关于开展生成式人工智能服务纠纷诉源治理工作的公告</h1>
<p class="date">发布时间：2025-01-16</p>
<p>为规范生成式人工智能服务提供者的行为，保护用户合法权益，本院决定开展生成式人工智能服务纠纷诉源治理工作。</p>
<p>一、服务提供者应当建立便捷的投诉举报机制，及时处理用户关于算法生成内容的投诉，并在十五个工作日内答复。</p>
<p>二、对于涉及深度合成内容的纠纷，当事人可以向本院在线诉讼平台提交调解申请，本院将组织特邀调解员开展调解。</p>
<p>三、本公告自发布之日起施行。特此公告。</p>
<p>北京互联网法院 2025年1月16日</p>
</div>
<div class="footer">版权所有 北京互联网法院</div>
</body></html>
"""


@pytest.fixture
def config(tmp_path, site, database_url):
    wechat = {"id": "wechat", "spider": "wechat", "name": "WeChat public accounts", "jurisdiction": "CN",
              "category": "industry", "language": "zh", "options": {"case_numbers": True},
              "urls": {"feed_court": "https://wechat2rss.xlab.app/feed/court.xml"}}
    path = write_config(tmp_path, [wechat], storage={"url": database_url},
                        service={"crawl_settings": {"REGWATCH_MIRROR": site.base}})
    return load_config(path)


def _serve_article(site, name: str = "court-article.html") -> None:
    site.routes[mirror_url("", ARTICLE_URL)] = Reply(200, (WECHAT_EXAMPLES / name).read_bytes(),
                                                     {"Content-Type": "text/html; charset=utf-8"})


def test_page_no_source_covers_is_fetched_archived_and_queued(config, site):
    site.routes[mirror_url("", "https://court.example/tzgg/2025/0116.html?utm_source=wechat")] = Reply(
        200, NOTICE.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
    result = add_by_url(config, "https://court.example/tzgg/2025/0116.html?utm_source=wechat#top", "li")
    assert (result.created, result.duplicate_of, result.parser) == (True, None, "page")
    with db.open_session(config.database_url) as session:
        document, state, versions = documents.get_document(session, result.document_id)
        assert (document.source_id, document.url) == ("added", "https://court.example/tzgg/2025/0116.html")
        assert document.title.startswith("关于开展生成式人工智能服务纠纷诉源治理工作的公告")
        assert "深度合成内容的纠纷" in document.text and document.authority == "court.example"
        assert state.status == "new"
        [event] = [e for e in triage.history(session, document.id) if e.action == "add"]
        assert event.actor == "li" and event.detail["parser"] == "page"
        record = read_record(config.archive_dir / versions[0].warc_file, versions[0].warc_offset)
        assert record.url == "https://court.example/tzgg/2025/0116.html?utm_source=wechat"
        assert "诉源治理" in record.body.decode("utf-8")


def test_a_link_already_stored_is_not_fetched_again(config, site):
    site.routes["/https/court.example/notice.html"] = Reply(
        200, NOTICE.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
    first = add_by_url(config, "https://court.example/notice.html", "li")
    again = add_by_url(config, "https://court.example/notice.html?utm_campaign=x", "wang")
    assert (again.document_id, again.duplicate_of, again.created, again.reason) == (
        first.document_id, first.document_id, False, "url")
    assert len(site.hits("/https/court.example/notice.html")) == 1


def test_wechat_article_is_read_by_the_wechat_parser(config, site):
    _serve_article(site)
    result = add_by_url(config, ARTICLE_URL, "li")
    assert result.parser == "wechat" and result.created
    with db.open_session(config.database_url) as session:
        document = session.get(Document, result.document_id)
        assert (document.title, document.authority, document.published) == (
            ARTICLE_TITLE, "杭州互联网法院", date(2025, 1, 20))
        assert document.identifiers["case_number"] == "（2024）浙0192民初1587号"
        assert (document.doc_type, document.category) == ("judgment", "industry")


def test_article_a_source_stored_under_another_address_is_reported_as_duplicate(config, site):
    with db.open_session(config.database_url) as session:
        from crawler.storage import runs

        runs.sync_sources(session, config.sources)
        [bridge_id] = store(session, item(
            "wechat", "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2651&idx=1&sn=8c1f", ARTICLE_TITLE,
            date(2025, 1, 20), jurisdiction="CN", authority="杭州互联网法院",
            fetched_at=datetime(2025, 1, 20, 9, tzinfo=UTC)))
    _serve_article(site)
    result = add_by_url(config, ARTICLE_URL, "li")
    assert (result.created, result.duplicate_of, result.reason) == (True, bridge_id, "title")
    with db.open_session(config.database_url) as session:
        assert session.get(Document, result.document_id).linked_to == bridge_id
        queued = [d.id for d, _ in documents.list_queue(session)]
        assert queued == [bridge_id]
        assert [e.action for e in triage.history(session, bridge_id)] == ["add"]


@pytest.mark.parametrize(("name", "status", "kind"), [("blocked-verification.html", 200, "blocked"),
                                                      (None, 404, "fetch_failed")])
def test_a_page_that_cannot_be_read_is_reported_with_its_reason(config, site, name, status, kind):
    body = (WECHAT_EXAMPLES / name).read_bytes() if name else b"not found"
    site.routes[mirror_url("", ARTICLE_URL)] = Reply(status, body, {"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(AddFailed) as raised:
        add_by_url(config, ARTICLE_URL, "li")
    assert raised.value.kind == kind and raised.value.url == ARTICLE_URL
    with db.open_session(config.database_url) as session:
        assert session.scalars(select(Document)).all() == []


def test_only_web_addresses_are_fetched(config):
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "ftp://example.com/x", ""):
        with pytest.raises(AddFailed, match="only http"):
            add_by_url(config, bad, "li")


def test_regwatch_add_prints_the_queued_item(tmp_path, site):
    site.routes["/notice.html"] = Reply(200, NOTICE.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
    path = write_config(tmp_path, [], web={"allow_private_urls": True})  # the page is on loopback, not the web
    done = regwatch(path, "add", site.url("/notice.html"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["created"], result["duplicate_of"], result["parser"]) == (True, None, "page")
    again = regwatch(path, "add", site.url("/notice.html"))
    assert again.returncode == 0 and f"already stored as item {result['document_id']}" in again.stdout
    failed = regwatch(path, "add", site.url("/missing.html"))
    assert failed.returncode == 1 and "fetch_failed" in failed.stderr
    assert Path(tmp_path / "regwatch-data" / "archive" / "added").is_dir()
