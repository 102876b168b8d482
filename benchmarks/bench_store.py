"""Normalize + store throughput on SQLite and PostgreSQL (goal: >= 5,000 items/s on SQLite).

    python benchmarks/bench_store.py [--items 20000] [--repeat 3] [--postgres URL | --no-postgres]

Items go through crawler.pipelines.normalize_item and storage.store_items in batches of 500,
as in a crawl. A second pass re-stores the same items (all unchanged), the common case.
Each round starts from an empty database; these machines are noisy, so the fastest round counts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.config import SourceConfig  # noqa: E402
from crawler.items import CandidateItem  # noqa: E402
from crawler.pipelines import normalize_item  # noqa: E402
from crawler.storage import db, runs  # noqa: E402
from crawler.storage.documents import store_items  # noqa: E402

SOURCE = SourceConfig(id="bench", spider="feed", urls=["https://agency.example/feed.xml"], jurisdiction="US")


def raw_items(count: int) -> list[CandidateItem]:
    moment = datetime(2025, 1, 15, tzinfo=UTC)
    return [CandidateItem(
        source="bench", url=f"https://agency.example/news/{n}?utm_source=rss",
        title=f"Agency notice {n} on AI oversight",
        published=date(2025, 1, 15) - timedelta(days=n % 300), fetched_at=moment, doc_type="news",
        summary=f"The agency announced measure {n} on artificial intelligence and algorithmic accountability "
                "in federal procurement, with comments due in 30 days.",
        identifiers={"fr_document_number": f"2025-{n:05d}"}) for n in range(count)]


def measure(url: str, count: int) -> tuple[float, float]:
    session = db.open_session(url)
    runs.sync_sources(session, [SOURCE])
    items = raw_items(count)
    passes = []
    for _ in range(2):
        started = time.perf_counter()
        normalized = [(normalize_item(item, SOURCE), None) for item in items]
        for start in range(0, count, 500):
            store_items(session, "bench", normalized[start:start + 500])
        passes.append(count / (time.perf_counter() - started))
    session.close()
    return passes[0], passes[1]


def rounds(url_of_round, count: int, repeat: int) -> tuple[list[float], list[float]]:
    new, again = [], []
    for round_number in range(repeat):
        first, second = measure(url_of_round(round_number), count)
        new.append(first)
        again.append(second)
    return new, again


def report(label: str, new: list[float], again: list[float], goal: str = "") -> None:
    print(f"{label} {max(new):,.0f} new items/s, {max(again):,.0f} unchanged items/s{goal}   rounds: "
          + ", ".join(f"{n:,.0f}/{a:,.0f}" for n, a in zip(new, again, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds, each on an empty database; the fastest counts")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        new, again = rounds(lambda n: f"sqlite:///{folder}/bench{n}.db", args.items, args.repeat)
        report("SQLite:    ", new, again, " (goal >= 5,000)")
    if args.no_postgres:
        return
    import psycopg

    names = [f"regwatch_bench_{uuid.uuid4().hex[:8]}" for _ in range(args.repeat)]
    server = args.postgres.rsplit("/", 1)[0]
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        new, again = rounds(lambda n: f"{server}/{names[n]}", args.items, args.repeat)
        report("PostgreSQL:", new, again)
    finally:
        db.get_engine.cache_clear()
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
