"""The triage web app with 100,000 stored documents (SQLite): queue pages, a decision, the export.

    python benchmarks/bench_web.py [--documents 100000] [--db FILE] [--repeat 25]

Goals (issue 6): the queue page with a filter and with a full-text search each answers in
<= 300 ms (median), a decision round-trip <= 100 ms, the month's export <= 2 s. Everything is
measured through the HTTP app (FastAPI's TestClient: routing, session cookie, CSRF, templates),
and the storage functions alone for comparison. The documents are generated and stored through
storage.store_items in batches of 500, as a crawl stores them; `--db` keeps the database between
runs (it is built when the file does not exist).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.config import load_config  # noqa: E402
from crawler.items import CandidateItem, Relevance  # noqa: E402
from crawler.storage import db, runs  # noqa: E402
from crawler.storage.documents import store_items  # noqa: E402
from crawler.storage.queue import QueueFilter, search_queue, status_counts  # noqa: E402
from editorial import triage, users

PASSWORD = "benchmark password"
MONTH, ACCEPTED_IN_MONTH = "2025-01", 400
EN_WORDS = ("artificial intelligence", "machine learning", "model", "algorithm", "deepfake", "export controls",
            "privacy", "data protection", "procurement", "transparency", "risk management", "safety", "chips",
            "oversight", "accountability", "generative", "frontier", "compute", "standards", "testing")
ZH_WORDS = ("人工智能", "生成式", "大模型", "算法", "深度合成", "数据安全", "个人信息", "网络安全", "标准", "治理",
            "监管", "备案", "服务提供者", "训练数据", "安全评估", "智能体", "算力", "伦理", "知识产权", "平台")
SOURCES = [  # id, jurisdiction, category, language
    ("fr", "US", "law_regulation", "en"), ("wh", "US", "law_regulation", "en"), ("nist", "US", "standard", "en"),
    ("ftc", "US", "guidance", "en"), ("nj", "US-NJ", "law_regulation", "en"), ("pa", "US-PA", "law_regulation", "en"),
    ("ec", "EU", "law_regulation", "en"), ("uk", "GB", "guidance", "en"), ("cnil", "FR", "guidance", "fr"),
    ("openai", "US", "industry", "en"), ("cac", "CN", "law_regulation", "zh"), ("miit", "CN", "law_regulation", "zh"),
    ("tc260", "CN", "standard", "zh"), ("bjcourt", "CN-BJ", "court", "zh"), ("wechat", "CN", "industry", "zh"),
]
DOC_TYPES = ("rule", "proposed_rule", "notice", "guidance", "news", "press_release", "bill", "standard", "judgment")


def generated_items(count: int, seed: int = 7) -> dict[str, list[CandidateItem]]:
    """Documents over three years, a third Chinese; ~1 KB of text each."""
    rng = random.Random(seed)
    fetched = datetime(2025, 1, 31, tzinfo=UTC)
    by_source: dict[str, list[CandidateItem]] = {}
    for n in range(count):
        source, jurisdiction, category, language = SOURCES[n % len(SOURCES)]
        words, joiner, stop = (ZH_WORDS, "", "。") if language == "zh" else (EN_WORDS, " ", ".")
        title = f"{_sentence(rng, words, joiner, 4)} {n}"
        text = "\n\n".join(_sentence(rng, words, joiner, 12) + stop for _ in range(8))
        terms = sorted({w for w in words if w in title})[:4]
        by_source.setdefault(source, []).append(CandidateItem(
            source=source, url=f"https://{source}.example/doc/{n}", title=title,
            published=date(2025, 1, 31) - timedelta(days=n % 1095), authority=f"{source.upper()} authority",
            jurisdiction=jurisdiction, category=category, doc_type=DOC_TYPES[n % len(DOC_TYPES)],
            summary=_sentence(rng, words, joiner, 10), text=text, language=language, content_hash=f"{n:064d}",
            fetched_at=fetched,
            relevance=Relevance(score=round(rng.random(), 3), terms=terms)))
    return by_source


def _sentence(rng: random.Random, words: tuple[str, ...], joiner: str, length: int) -> str:
    return joiner.join(rng.choice(words) for _ in range(length))


def build(folder: Path, database_url: str, count: int, reuse: bool = False) -> Path:
    config_path = folder / "config.yaml"
    sources = [{"id": s, "spider": "feed", "urls": [f"https://{s}.example/feed.xml"], "jurisdiction": j,
                "category": c, "language": lang} for s, j, c, lang in SOURCES]
    config_path.write_text(yaml.safe_dump({"storage": {"url": database_url},
                                           "archive": {"dir": str(folder / "archive")}, "sources": sources}))
    if reuse:
        return config_path
    config = load_config(config_path)
    started = time.perf_counter()
    with db.open_session(config.database_url) as session:
        runs.sync_sources(session, config.sources)
        for source, items in generated_items(count).items():
            for start in range(0, len(items), 500):
                store_items(session, source, [(item, None) for item in items[start:start + 500]])
        users.add_user(session, "editor", "editor", PASSWORD)
        month_ids = session.scalars(db_ids_published_in(MONTH, ACCEPTED_IN_MONTH)).all()
        half = len(month_ids) // 2
        triage.accept(session, month_ids[:half], "editor", MONTH, "law")
        triage.accept(session, month_ids[half:], "editor", MONTH, "industry")
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))  # what autovacuum does soon after a bulk load
            session.commit()
    print(f"built {count:,} documents in {time.perf_counter() - started:.0f} s")
    return config_path


def db_ids_published_in(month: str, limit: int):
    from sqlalchemy import select

    from crawler.storage.models import Document

    first = date.fromisoformat(f"{month}-01")
    return (select(Document.id).where(Document.published >= first, Document.published < first + timedelta(days=31))
            .order_by(Document.id).limit(limit))


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm caches, as a page visited before
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def login(client) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": "editor", "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/queue").text).group(1)


def check(response) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{response.request.method} {response.request.url}: HTTP {response.status_code}")


def http_figures(config_path: Path, repeat: int, count: int) -> list[tuple[str, float, str]]:
    from fastapi.testclient import TestClient

    from web.app import create_app

    config = load_config(config_path)
    figures = []
    with TestClient(create_app(config)) as client:
        token = login(client)
        pages = {
            "queue, filter (new, jurisdiction US, doc type rule)": "/queue?status=new&jurisdiction=US&doc_type=rule",
            "queue, filter (all statuses, min relevance 0.9, 2024)":
                "/queue?status=all&min_relevance=0.9&date_from=2024-01-01&date_to=2024-12-31",
            "queue, search 算法 (in ~1/3 of documents)": "/queue?status=new&q=算法",
            "queue, search deepfake (English, prefix)": "/queue?status=new&q=deepfake",
            "queue, search \"export controls\" + filter US":
                "/queue?status=all&q=%22export+controls%22&jurisdiction=US",
            "queue, search 深度合成 page 5": "/queue?status=all&q=深度合成&page=5",
            "queue, search a word in one document (title number)": "/queue?status=all&q=12345",
        }
        for label, url in pages.items():
            figures.append((label, median_ms(lambda url=url: check(client.get(url)), repeat), "≤ 300 ms"))
        ids = iter(range(count // 2, count // 2 + repeat + 1))
        headers = {"X-CSRF-Token": token, "Accept": "application/json"}

        def decide() -> None:
            check(client.post("/decide", data={"ids": next(ids), "action": "reject", "reason": "benchmark",
                                               "csrf_token": token}, headers=headers))
        figures.append(("decision round-trip (reject one item)", median_ms(decide, repeat), "≤ 100 ms"))
        for fmt in ("md", "docx"):
            figures.append((f"export {MONTH}.{fmt} ({ACCEPTED_IN_MONTH} items)",
                            median_ms(lambda fmt=fmt: check(client.get(f"/export/{MONTH}.{fmt}")), max(5, repeat // 5)),
                            "≤ 2,000 ms"))
    return figures


def function_figures(config_path: Path, repeat: int) -> list[tuple[str, float, str]]:
    config = load_config(config_path)
    today = date(2025, 1, 31)
    with db.open_session(config.database_url) as session:
        cases = {"search_queue + status_counts, filter": QueueFilter(status="new", jurisdictions=("US",),
                                                                      doc_types=("rule",)),
                 "search_queue + status_counts, search 算法": QueueFilter(status="new", search="算法")}
        def page(flt: QueueFilter) -> None:
            search_queue(session, flt, today=today)
            status_counts(session, flt, today=today)
            session.rollback()  # a new request: nothing remembered from the last one

        return [(label, median_ms(lambda f=flt: page(f), repeat), "") for label, flt in cases.items()]


def measure(folder: Path, database_url: str, args: argparse.Namespace, reuse: bool) -> list[tuple[str, float, str]]:
    config_path = build(folder, database_url, args.documents, reuse)
    return http_figures(config_path, args.repeat, args.documents) + function_figures(config_path, args.repeat)


def on_postgres(folder: Path, admin_url: str, args: argparse.Namespace) -> list[tuple[str, float, str]]:
    """The same figures on a throw-away PostgreSQL database (tsvector + GIN search)."""
    import psycopg

    name = f"regwatch_bench_web_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return measure(folder, admin_url.rsplit("/", 1)[0] + f"/{name}", args, reuse=False)
    finally:
        db.get_engine.cache_clear()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="SQLite file to build once and reuse")
    parser.add_argument("--postgres", help="measure on PostgreSQL instead, e.g. postgresql://postgres@127.0.0.1/postgres")
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            rows = on_postgres(Path(folder), args.postgres, args)
        else:
            database = args.db.resolve() if args.db else Path(folder) / "bench.db"
            rows = measure(Path(folder), f"sqlite:///{database}", args, reuse=database.exists())
    width = max(len(label) for label, _, _ in rows)
    for label, ms, goal in rows:
        print(f"{label:<{width}}  {ms:8.1f} ms  {goal}")


if __name__ == "__main__":
    main()
