"""The bulletin export: which items, in which order, and the Markdown and DOCX in the bulletin's form."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest

from crawler.config import BulletinConfig
from editorial import bulletin, triage
from editorial.bulletin import Entry
from tests.triage_items import item, store

SECTIONS = BulletinConfig().sections


def _entry(doc_id: int, title: str, published: date | None, section: str = "law", **fields) -> Entry:
    defaults = dict(document_id=doc_id, title=title, original_title=title, published=published,
                    authority="国家互联网信息办公室", url=f"https://www.cac.gov.cn/{doc_id}.htm",
                    summary="为促进生成式人工智能健康发展。", section=section, source_id="cac")
    return Entry(**{**defaults, **fields})


ENTRIES = {
    "law": [_entry(1, "生成式人工智能服务管理暂行办法", date(2025, 1, 10)),
            _entry(2, "Framework for Artificial Intelligence Diffusion", date(2025, 1, 15),
                   authority="Bureau of Industry and Security", url="https://www.federalregister.gov/d/2025-00636",
                   summary="Export controls on AI model weights.")],
    "industry": [_entry(3, "某公司发布大模型", date(2025, 1, 20), section="industry", authority="某公司")],
}


def test_entries_are_the_months_accepted_items_by_date_within_each_section(session):
    ids = store(session,
                item("cac", "https://cac.example/2", "Later law", date(2025, 1, 20)),
                item("cac", "https://cac.example/1", "Earlier law", date(2025, 1, 5)),
                item("cac", "https://cac.example/3", "Industry news", date(2025, 1, 8)),
                item("cac", "https://cac.example/4", "February item", date(2025, 2, 1)),
                item("cac", "https://cac.example/5", "Rejected item", date(2025, 1, 9)))
    triage.accept(session, ids[:2], "li", "2025-01", "law")
    triage.accept(session, ids[2:3], "li", "2025-01", "industry")
    triage.accept(session, ids[3:4], "li", "2025-02", "law")
    triage.reject(session, ids[4:], "li", "off topic")
    triage.set_editorial(session, ids[0], "li", "编辑标题", "编辑摘要")
    session.commit()
    entries = bulletin.bulletin_entries(session, "2025-01", SECTIONS)
    assert list(entries) == ["law", "industry"]
    assert [e.title for e in entries["law"]] == ["Earlier law", "编辑标题"]
    assert (entries["law"][1].summary, entries["law"][1].original_title) == ("编辑摘要", "Later law")
    assert [e.title for e in entries["industry"]] == ["Industry news"]
    assert bulletin.bulletin_entries(session, "2024-12", SECTIONS) == {"law": [], "industry": []}
    with pytest.raises(triage.TriageError, match="use YYYY-MM"):
        bulletin.bulletin_entries(session, "January", SECTIONS)


def test_markdown_has_the_bulletin_form():
    text = bulletin.render_markdown(ENTRIES, "2025-01", SECTIONS)
    assert text.startswith("# 人工智能法律监管月报 2025 年 1 月\n\n## 一、法律与监管动态\n\n### 导读\n\n"
                           "1. 生成式人工智能服务管理暂行办法\n2. Framework for Artificial Intelligence Diffusion\n\n")
    assert ("### 1. 生成式人工智能服务管理暂行办法\n\n- 发布日期：2025 年 1 月 10 日\n- 来源：国家互联网信息办公室\n"
            "- 链接：<https://www.cac.gov.cn/1.htm>\n\n摘要：为促进生成式人工智能健康发展。\n") in text
    assert "### 2. Framework for Artificial Intelligence Diffusion\n\n- 发布日期：2025 年 1 月 15 日\n" in text
    assert text.index("## 二、行业动态") > text.index("Export controls on AI model weights.")
    assert "### 导读\n\n1. 某公司发布大模型\n" in text.split("## 二、行业动态")[1]


def test_markdown_shows_crawled_markup_as_text():
    hostile = {"law": [_entry(9, "<script>alert(1)</script> *bold* [x](javascript:alert(1))", None,
                              url="javascript:alert(1)", summary="a &amp; b <img src=x onerror=alert(1)>")],
               "industry": []}
    text = bulletin.render_markdown(hostile, "2025-01", SECTIONS)
    assert r"\<script\>alert(1)\</script\> \*bold\* \[x\](javascript:alert(1))" in text
    assert "- 链接：javascript:alert(1)\n" in text and "<javascript:" not in text
    assert r"摘要：a \&amp; b \<img src=x onerror=alert(1)\>" in text
    assert "- 发布日期：未注明" in text
    assert "## 二、行业动态\n\n本月暂无条目。\n" in text


def _paragraphs(data: bytes) -> list[tuple[str, str]]:
    document = docx.Document(io.BytesIO(data))
    return [(p.style.name, p.text) for p in document.paragraphs]


def test_docx_has_the_bulletin_form():
    data = bulletin.render_docx(ENTRIES, "2025-01", SECTIONS)
    paragraphs = _paragraphs(data)
    assert paragraphs[:5] == [
        ("Title", "人工智能法律监管月报 2025 年 1 月"), ("Heading 1", "一、法律与监管动态"), ("Heading 2", "导读"),
        ("Normal", "1. 生成式人工智能服务管理暂行办法"),
        ("Normal", "2. Framework for Artificial Intelligence Diffusion")]
    assert paragraphs[5:10] == [
        ("Heading 2", "1. 生成式人工智能服务管理暂行办法"), ("Normal", "发布日期：2025 年 1 月 10 日"),
        ("Normal", "来源：国家互联网信息办公室"), ("Normal", "链接：https://www.cac.gov.cn/1.htm"),
        ("Normal", "摘要：为促进生成式人工智能健康发展。")]
    assert ("Heading 1", "二、行业动态") in paragraphs
    assert paragraphs[-1] == ("Normal", "摘要：为促进生成式人工智能健康发展。")
    document = docx.Document(io.BytesIO(data))
    links = [r.target_ref for r in document.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert links == ["https://www.cac.gov.cn/1.htm", "https://www.federalregister.gov/d/2025-00636",
                     "https://www.cac.gov.cn/3.htm"]
    assert document.paragraphs[5].runs[0].bold is None and document.paragraphs[6].runs[0].bold is True


def test_docx_keeps_hostile_text_as_text_and_links_only_web_addresses():
    hostile = {"law": [_entry(9, "<script>alert(1)</script>\x07", None, url="javascript:alert(1)")], "industry": []}
    data = bulletin.render_docx(hostile, "2025-01", SECTIONS)
    paragraphs = [text for _, text in _paragraphs(data)]
    assert "1. <script>alert(1)</script>" in paragraphs
    assert "链接：javascript:alert(1)" in paragraphs
    assert "本月暂无条目。" in paragraphs
    document = docx.Document(io.BytesIO(data))
    assert not [r for r in document.part.rels.values() if r.reltype.endswith("/hyperlink")]


def test_regwatch_export_writes_markdown_and_docx(tmp_path, database_url, session):
    from tests.conftest import regwatch, write_config

    [doc_id] = store(session, item("cac", "https://cac.example/1", "人工智能安全治理框架", date(2025, 1, 9),
                                   authority="国家互联网信息办公室", summary="框架 1.0 版。"))
    triage.accept(session, [doc_id], "li", "2025-01", "law")
    session.commit()
    path = write_config(tmp_path, [], storage={"url": database_url})
    shown = regwatch(path, "export", "--month", "2025-01")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("# 人工智能法律监管月报 2025 年 1 月\n")
    assert "### 1. 人工智能安全治理框架\n\n- 发布日期：2025 年 1 月 9 日\n- 来源：国家互联网信息办公室\n" in (
        shown.stdout)
    written = regwatch(path, "export", "--month", "2025-01", "--format", "docx", "-o", str(tmp_path / "b.docx"))
    assert written.returncode == 0 and "(1 items)" in written.stderr
    assert ("Normal", "摘要：框架 1.0 版。") in _paragraphs((tmp_path / "b.docx").read_bytes())
    assert regwatch(path, "export", "--month", "2025-1").returncode == 2
