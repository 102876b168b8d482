"""A small, realistic, bilingual queue for the web tests and the screenshots: Chinese and US
regulators, a standard, a court, industry news, one item with two versions, one hostile item,
each stored through the real store_items with its response archived in a real WARC file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from crawler import normalize, relevance
from crawler.archive import WarcRecorder
from crawler.config import Config
from crawler.items import CandidateItem
from crawler.storage import documents, runs
from editorial import users

FETCHED = datetime(2025, 1, 31, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
HOSTILE_TITLE = '<script>document.body.dataset.pwned="title"</script> <img src=x onerror=alert(1)> &amp; 算法'
HOSTILE_URL = "javascript:document.body.dataset.pwned='link'"
# An archived page that would mark the parent page if its script ran, and load /leak/… if it could.
HOSTILE_PAGE = (b"<html><head><title>archived</title><script>parent.document.body.dataset.pwned='archive';"
                b"</script><link rel=stylesheet href='/leak/x.css'></head>"
                b"<body><h1>Archived copy</h1><img src='/leak/beacon.gif'></body></html>")


@dataclass(frozen=True)
class Sample:
    source: str
    url: str
    title: str
    published: date
    authority: str
    jurisdiction: str
    category: str
    doc_type: str
    summary: str
    language: str
    identifiers: tuple[tuple[str, str], ...] = ()
    text: str = ""


SAMPLES = [
    Sample("cac", "https://www.cac.gov.cn/2025-01/14/c_1738000000000001.htm",
           "国家互联网信息办公室关于发布《人工智能生成合成内容标识办法》的通知", date(2025, 1, 14),
           "国家互联网信息办公室", "CN", "law_regulation", "notice",
           "为促进人工智能健康发展，规范人工智能生成合成内容标识，国家网信办等四部门联合制定了《人工智能生成合成内容标识办法》，"
           "自2025年9月1日起施行。", "zh", (("document_number", "国信办通字〔2025〕2号"),),
           "第一条 为了促进人工智能健康发展，规范人工智能生成合成内容标识，"
           "保护公民、法人和其他组织合法权益，制定本办法。\n"
           "第二条 符合条件的网络信息服务提供者开展人工智能生成合成内容标识，适用本办法。"),
    Sample("federal-register", "https://www.federalregister.gov/documents/2025/01/31/2025-02172/removing-barriers",
           "Removing Barriers to American Leadership in Artificial Intelligence", date(2025, 1, 23),
           "Executive Office of the President", "US", "law_regulation", "executive_order",
           "This order revokes certain existing AI policies and directives that act as barriers to American AI "
           "innovation, clearing a path for the United States to act decisively to retain global leadership.",
           "en", (("executive_order_number", "14179"), ("fr_document_number", "2025-02172")),
           "By the authority vested in me as President by the Constitution and the laws of the United States of "
           "America, it is hereby ordered: Section 1. Purpose. The United States has long been at the forefront of "
           "artificial intelligence (AI) innovation."),
    Sample("tc260", "https://www.tc260.org.cn/front/bzcx/yfgbdetail.html?id=20250110",
           "网络安全技术 生成式人工智能服务安全基本要求（征求意见稿）", date(2025, 1, 10),
           "全国网络安全标准化技术委员会", "CN", "standard", "draft_standard",
           "本文件规定了生成式人工智能服务在训练数据安全、模型安全、安全措施等方面的基本要求，并给出了安全评估要求。",
           "zh", (("standard_number", "GB/T 45654—2025"),)),
    Sample("bj-internet-court", "https://www.bjinternetcourt.gov.cn/cac/zw/1738000000002.html",
           "北京互联网法院审结首例人工智能生成图片著作权侵权案", date(2025, 1, 8),
           "北京互联网法院", "CN", "court", "judgment",
           "法院认定，原告利用人工智能模型生成的图片体现了其独创性智力投入，构成作品，应受著作权法保护。",
           "zh", (("case_number", "（2023）京0491民初11279号"),)),
    Sample("ec-ai-office", "https://digital-strategy.ec.europa.eu/en/library/guidelines-prohibited-ai-practices",
           "Commission publishes guidelines on prohibited artificial intelligence practices under the AI Act",
           date(2025, 1, 6), "European Commission, AI Office", "EU", "guidance", "guidance",
           "The guidelines explain the prohibitions of the AI Act on harmful manipulation, social scoring and "
           "real-time remote biometric identification, with practical examples.", "en"),
    Sample("deepseek-news", "https://api-docs.deepseek.com/news/news250120",
           "DeepSeek-R1 发布，性能对标 OpenAI o1 正式版", date(2025, 1, 20), "DeepSeek 深度求索", "CN",
           "industry", "news", "DeepSeek-R1 在后训练阶段大规模使用了强化学习技术，在数学、代码、自然语言推理等任务上，"
           "性能比肩 OpenAI o1 正式版；这一推理大模型的权重以 MIT 协议开源。", "zh"),
    Sample("anthropic-news", "https://www.anthropic.com/news/anthropic-economic-index",
           "Introducing the Anthropic Economic Index", date(2025, 1, 10), "Anthropic", "US", "industry", "news",
           "A new initiative to understand AI's effects on labor markets and the economy over time, starting with "
           "a report on how Claude is used across occupations.", "en"),
    Sample("miit", "https://www.miit.gov.cn/jgsj/kjs/gzdt/art/2025/art_0117.html",
           "工业和信息化部关于印发《人工智能产业标准化体系建设指南》的通知", date(2025, 1, 17),
           "工业和信息化部", "CN", "law_regulation", "notice",
           "到2026年，新制定国家标准和行业标准50项以上，引领人工智能产业高质量发展的标准体系加快形成。", "zh"),
    Sample("gov-uk", "https://www.gov.uk/government/publications/ai-opportunities-action-plan",
           "AI Opportunities Action Plan", date(2025, 1, 13), "Department for Science, Innovation and Technology",
           "GB", "guidance", "report", "Recommendations for the government to capture the opportunities of AI to "
           "enhance growth and productivity and create tangible benefits for UK citizens.", "en"),
    Sample("whitehouse", HOSTILE_URL, HOSTILE_TITLE, date(2025, 1, 2), "<b>Hostile</b> Authority", "US",
           "law_regulation", "notice", "<script>document.body.dataset.pwned='summary'</script> machine learning",
           "en"),
]
UPDATED_TEXT = ("第一条 为了促进人工智能健康发展，规范人工智能生成合成内容标识，保护公民、法人和其他组织合法权益，"
                "维护社会公共利益，制定本办法。\n"
                "第二条 符合条件的网络信息服务提供者开展人工智能生成合成内容标识，适用本办法。")


def candidate(sample: Sample, fetched: datetime = FETCHED, text: str | None = None) -> CandidateItem:
    body = text if text is not None else (sample.text or sample.summary)
    item = CandidateItem(
        source=sample.source, url=sample.url, title=sample.title, published=sample.published,
        authority=sample.authority, jurisdiction=sample.jurisdiction, category=sample.category,
        doc_type=sample.doc_type, identifiers=dict(sample.identifiers), summary=sample.summary,
        language=sample.language, fetched_at=fetched, text=body,
        relevance=relevance.score(sample.title, sample.summary + "\n" + body),
    )
    item.content_hash = normalize.content_hash({"title": item.title, "summary": item.summary, "text": item.text,
                                                "published": item.published, "doc_type": item.doc_type,
                                                "identifiers": item.identifiers})
    return item


def sources_config() -> list[dict]:
    ids = sorted({s.source for s in SAMPLES})
    return [{"id": source, "spider": "feed", "urls": [f"https://example.invalid/{source}.xml"]} for source in ids]


def _page_for(sample: Sample) -> bytes:
    if sample.url == HOSTILE_URL:
        return HOSTILE_PAGE
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{sample.title}</title></head><body>"
            f"<h1>{sample.title}</h1><p>{sample.authority} · {sample.published}</p><p>{sample.summary}</p>"
            f"</body></html>").encode()


def build(session: Session, config: Config) -> dict[str, int]:
    """Store the samples (with archived responses) and two users; returns document ids by source."""
    runs.sync_sources(session, config.sources)
    recorder = WarcRecorder(config.archive_dir / "sample" / "run1.warc.gz", config.archive_dir)
    for sample in SAMPLES:
        url = sample.url if sample.url.startswith("http") else "https://hostile.example/page"
        ref = recorder.write("GET", url, {}, b"", 200, {b"Content-Type": [b"text/html; charset=utf-8"]},
                             _page_for(sample), FETCHED)
        evidence = documents.Evidence(ref.file, ref.offset, ref.record_id)
        documents.store_items(session, sample.source, [(candidate(sample), evidence)])
    cac = SAMPLES[0]
    later = FETCHED + timedelta(days=2)
    ref = recorder.write("GET", cac.url, {}, b"", 200, {b"Content-Type": [b"text/html; charset=utf-8"]},
                         _page_for(cac), later)
    documents.store_items(session, cac.source, [(candidate(cac, later, UPDATED_TEXT),
                                                 documents.Evidence(ref.file, ref.offset, ref.record_id))])
    recorder.close()
    users.add_user(session, "editor", "editor", PASSWORD)
    users.add_user(session, "viewer", "viewer", PASSWORD)
    session.commit()
    rows = documents.list_queue(session)
    return {document.source_id: document.id for document, _ in rows}


def sample_config(folder: Path, extra_sources: list[dict] | None = None) -> Path:
    from tests.conftest import write_config

    return write_config(folder, sources_config() + (extra_sources or []))
